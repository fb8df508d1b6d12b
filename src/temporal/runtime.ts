import { Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

/**
 * Routes the Temporal SDK's own logs into our structured logger, and with `metricsPort` serves the
 * SDK's worker metrics (workflow task failures, activity failures, latencies) for Prometheus on
 * 127.0.0.1; once per process.
 */
export function installTemporalRuntime(log: Logger, opts: { metricsPort?: number } = {}): void {
  if (installed) return;
  installed = true;
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'debug', // the SDK's INFO lines (worker state changes) are noise at our info level
    WARN: 'warn',
    ERROR: 'error',
  };
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => sdkLog[levels[level]](meta ?? {}, message);
  Runtime.install({
    ...(opts.metricsPort !== undefined
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } } }
      : {}),
    logger: {
      log: emit,
      trace: (m, meta) => emit('TRACE', m, meta),
      debug: (m, meta) => emit('DEBUG', m, meta),
      info: (m, meta) => emit('INFO', m, meta),
      warn: (m, meta) => emit('WARN', m, meta),
      error: (m, meta) => emit('ERROR', m, meta),
    },
  });
}
