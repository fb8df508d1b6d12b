import { loadConfig, type Config } from '../../src/config';
import { freePort } from '../../dev/infra/free-port';
import { createLogger, type Logger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/run/api';
import { startSimulators, type RunningSimulators, type SimulatorsOptions } from '../../dev/simulators/start';
import { startWorker, type RunningWorker } from '../../src/run/worker';
import { uniq } from './db';

export interface TestStack {
  config: Config;
  /** The environment the stack's config was read from: for parts started as separate processes. */
  env: Record<string, string | undefined>;
  api: RunningApi;
  worker: RunningWorker;
  sims: RunningSimulators;
  stop: () => Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  simulators?: Omit<SimulatorsOptions, 'apiBaseUrl'>;
  /** Start no worker (tests that start and kill their own). */
  noWorker?: boolean;
  /** The logger of every part (tests that read the logs). */
  log?: Logger;
}

/**
 * The real API, worker and simulators, in-process on free ports, against the run's PostgreSQL
 * and Temporal dev server, on a task queue of their own.
 */
export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  const log = opts.log ?? createLogger(process.env.LOG_LEVEL ?? 'silent');
  const apiPort = String(await freePort());
  const base: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    API_PORT: apiPort,
    TEMPORAL_TASK_QUEUE: uniq('tq-'),
    SIM_OPERATOR_PORT: '0',
    SIM_KYC_PORT: '0',
    SIM_GATEWAY_PORT: '0',
    SIM_SMS_PORT: '0',
    SIM_SMTP_PORT: '0',
    SIM_MAIL_HTTP_PORT: '0',
    // Test files share one database, so one file's provider failures must not trip the
    // breaker for the next; tests of the breaker itself set their own threshold.
    RECHARGE_BREAKER_THRESHOLD: '1000',
    ...opts.env,
  };
  const simConfig = loadConfig(base);
  const sims = await startSimulators(simConfig, log, {
    apiBaseUrl: `http://127.0.0.1:${apiPort}`,
    kycWebhookSecret: simConfig.kyc.webhookSecret,
    ...opts.simulators,
  });
  const env = {
    ...base,
    OPERATOR_PROVIDERS_URL: `${sims.urls.operator}/providers`,
    KYC_PROVIDER_URL: sims.urls.kyc,
    GATEWAY_URL: sims.urls.gateway,
    TWILIO_API_BASE_URL: sims.urls.sms,
    SMTP_PORT: String(sims.urls.smtpPort),
    ...opts.env,
  };
  const config = loadConfig(env);
  const worker = opts.noWorker ? undefined : await startWorker(config, log);
  const api = await startApi(config, log);
  return {
    config,
    env,
    api,
    worker: worker!,
    sims,
    stop: async () => {
      await api.stop();
      await worker?.stop();
      await sims.stop();
    },
  };
}
