import type { Logger } from '../logger';

/**
 * Stops the given parts in order on SIGINT/SIGTERM (Ctrl-C), then exits. A second signal
 * exits at once, for when a part hangs.
 */
export function onShutdown(log: Logger, steps: Array<() => Promise<void>>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          log.error({ err }, 'error while stopping');
        }
      }
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
