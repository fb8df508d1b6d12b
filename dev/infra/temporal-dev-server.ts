import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { searchAttributeKeys } from '../../src/temporal/search-attributes';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; undefined runs headless (tests). */
  uiPort?: number;
  /** SQLite file; undefined keeps state in memory (tests). */
  dbFile?: string;
  namespace: string;
  onLog?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  process: ChildProcess;
  stop: () => Promise<void>;
}

const typeNames: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export function devServerArgs(opts: DevServerOptions): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // Never phone home: nothing here may send traffic beyond 127.0.0.1.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    // An activity scheduled by a workflow task goes straight back to the worker that completed
    // it, skipping a round trip through matching (fewer server transitions per recharge).
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
  ];
  for (const key of searchAttributeKeys) {
    args.push('--search-attribute', `${key.name}=${typeNames[key.type]}`);
  }
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.uiPort !== undefined) args.push('--ui-ip', '127.0.0.1', '--ui-port', String(opts.uiPort));
  else args.push('--headless');
  return args;
}

/**
 * Starts `temporal server start-dev` and waits until its frontend answers. We start the binary
 * ourselves instead of via TestWorkflowEnvironment.createLocal, whose 5 s readiness window is too
 * short on a loaded 2-core machine.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  if (opts.dbFile) fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const child = spawn(opts.cliPath, devServerArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) opts.onLog?.(line);
  };
  child.stdout?.on('data', log);
  child.stderr?.on('data', log);
  let exited: string | undefined;
  // The server must not outlive us, however we exit.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    process.off('exit', killOnExit);
  });
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited} before it was ready`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: opts.namespace });
        break;
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server not ready at ${address}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
