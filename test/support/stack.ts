import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApi, type RunningApi } from '../../src/run/api';
import { startWorker, type RunningWorker } from '../../src/run/worker';
import { uniq } from './db';

/** Config for an in-test stack: the run's database and Temporal server, free ports, its own task queue. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    API_PORT: '0',
    TEMPORAL_TASK_QUEUE: uniq('tq-'),
    ...overrides,
  });
}

export interface TestStack {
  config: Config;
  api: RunningApi;
  worker: RunningWorker;
  stop: () => Promise<void>;
}

/** The real API and worker, in-process, against the run's PostgreSQL and Temporal dev server. */
export async function startStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  const config = testConfig(overrides);
  const log = createLogger(process.env.LOG_LEVEL ?? 'silent');
  const worker = await startWorker(config, log, process.env.TIJORI_WORKFLOW_BUNDLE);
  const api = await startApi(config, log);
  return {
    config,
    api,
    worker,
    stop: async () => {
      await api.stop();
      await worker.stop();
    },
  };
}
