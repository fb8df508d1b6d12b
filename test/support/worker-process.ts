import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface WorkerProcessOptions {
  /** A script to run instead of src/main-worker.ts, e.g. one that instruments it (test/support/chaos-worker.ts). */
  entry?: string;
}

/** The real worker (src/main-worker.ts) as a separate process, resolved once it polls its task queue. */
export function startWorkerProcess(
  env: Record<string, string | undefined>,
  opts: WorkerProcessOptions = {},
): Promise<ChildProcess> {
  const entry = opts.entry ?? path.join(root, 'src', 'main-worker.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...env, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('worker started')) {
        out = '';
        resolve(child);
      }
    });
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting:\n${out}`)));
  });
}

/** SIGKILL: no shutdown hooks, no draining — a crash. */
export function killProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
