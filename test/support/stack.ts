import { loadConfig, type Config } from '../../src/config';
import { freePort } from '../../src/dev/free-port';
import { createLogger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/run/api';
import { startSimulators, type RunningSimulators, type SimulatorsOptions } from '../../src/run/simulators';
import { startWorker, type RunningWorker } from '../../src/run/worker';
import { uniq } from './db';

export interface TestStack {
  config: Config;
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
}

/**
 * The real API, worker and simulators, in-process on free ports, against the run's PostgreSQL
 * and Temporal dev server, on a task queue of their own.
 */
export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'silent');
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
    ...opts.env,
  };
  const sims = await startSimulators(loadConfig(base), log, {
    apiBaseUrl: `http://127.0.0.1:${apiPort}`,
    ...opts.simulators,
  });
  const config = loadConfig({
    ...base,
    OPERATOR_PROVIDERS_URL: `${sims.urls.operator}/providers`,
    KYC_PROVIDER_URL: sims.urls.kyc,
    GATEWAY_URL: sims.urls.gateway,
    TWILIO_API_BASE_URL: sims.urls.sms,
    SMTP_PORT: String(sims.urls.smtpPort),
    ...opts.env,
  });
  const worker = opts.noWorker ? undefined : await startWorker(config, log, process.env.TIJORI_WORKFLOW_BUNDLE);
  const api = await startApi(config, log);
  return {
    config,
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
