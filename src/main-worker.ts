// `npm run worker`: the Temporal worker alone, for production (DATABASE_URL and TEMPORAL_ADDRESS required).
import { loadConfig } from './config';
import { createLogger } from './logger';
import { startWorker } from './run/worker';
import { onShutdown } from './run/shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'tijori-worker');
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'DATABASE_URL and TEMPORAL_ADDRESS must be set for `npm run worker` (use `npm start` for a local stack)',
    );
  }
  const worker = await startWorker(config, log);
  onShutdown(log, [() => worker.stop()]);
  await worker.done;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
