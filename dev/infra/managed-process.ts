import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ManagedProcessOptions {
  /** Names it in messages. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Its output is appended here (stdout and stderr), so a run leaves one log file per process. */
  logFile?: string;
  /** Ready once a line of its output matches. */
  readyLine?: RegExp;
  /** Or once this answers true for its pid (polled every 250 ms). */
  probe?: (pid: number) => Promise<boolean>;
  readyTimeoutMs?: number;
  /** After an exit nobody asked for, start it again after this delay (as a supervisor would). */
  restartDelayMs?: number;
  onEvent?: (message: string) => void;
}

export interface ProcessExit {
  at: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether kill() or stop() caused it. */
  planned: boolean;
  /** The last lines it wrote. */
  tail: string[];
}

/**
 * A child process with a readiness check, a log file, and (optionally) a supervisor's restart:
 * the parts of the production topology (Temporal server, workers, API processes) as
 * `npm run start:cluster` and the topology tests run them. kill() and stop() are planned exits;
 * any other exit is recorded and, with restartDelayMs, followed by a restart.
 */
export class ManagedProcess {
  readonly exits: ProcessExit[] = [];
  private child: ChildProcess | undefined;
  private wanted = false;
  private restarting: Promise<void> | undefined;
  private readonly tail: string[] = [];
  private readonly log: fs.WriteStream | undefined;

  constructor(private readonly opts: ManagedProcessOptions) {
    if (opts.logFile) {
      fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
      this.log = fs.createWriteStream(opts.logFile, { flags: 'a' });
    }
  }

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and resolves once it is ready; rejects (and kills it) if it is not. */
  async start(): Promise<void> {
    if (this.running) return;
    this.wanted = true;
    await this.spawnReady();
  }

  /** SIGKILL: a crash, with no shutdown hooks. Not restarted. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after 10 s. Not restarted. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  /** Resolves once a restart after an unplanned exit (if any) has finished. */
  async settled(): Promise<void> {
    while (this.restarting) await this.restarting.catch(() => undefined);
  }

  close(): void {
    this.log?.end();
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    this.wanted = false;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      });
    }
    // A restart in progress sees `wanted` false and gives up.
    await this.settled();
  }

  private keep(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
  }

  private spawnReady(): Promise<void> {
    const { opts } = this;
    const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.tail.length = 0;
    // It must not outlive us, however we exit.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);

    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let partial = '';
      const onData = (b: Buffer) => {
        this.log?.write(b);
        const lines = (partial + b.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          this.keep(line);
          if (!ready && opts.readyLine?.test(line)) markReady();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);

      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGKILL');
        reject(new Error(`${opts.name} not ready in ${opts.readyTimeoutMs ?? 90_000} ms:\n${this.tail.join('\n')}`));
      }, opts.readyTimeoutMs ?? 90_000);
      const markReady = () => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        resolve();
      };
      if (opts.probe) {
        const probe = opts.probe;
        void (async () => {
          while (!ready && child.exitCode === null && child.signalCode === null) {
            if (await probe(child.pid ?? 0).catch(() => false)) return markReady();
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
      }

      child.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        const planned = !this.wanted;
        this.exits.push({ at: Date.now(), pid: child.pid ?? 0, code, signal, planned, tail: [...this.tail] });
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`${opts.name} exited (${code ?? signal}) before it was ready:\n${this.tail.join('\n')}`));
          return;
        }
        if (planned) return;
        opts.onEvent?.(`${opts.name} (pid ${child.pid}) exited unexpectedly (${code ?? signal})`);
        if (opts.restartDelayMs !== undefined) this.restarting = this.restartLoop();
      });
    });
  }

  private async restartLoop(): Promise<void> {
    try {
      for (let attempt = 1; this.wanted; attempt++) {
        await new Promise((r) => setTimeout(r, this.opts.restartDelayMs));
        if (!this.wanted) return;
        try {
          await this.spawnReady();
          this.opts.onEvent?.(`${this.opts.name} restarted (pid ${this.child?.pid})`);
          return;
        } catch (err) {
          const last = (err as Error).message.split('\n').filter(Boolean).slice(-3).join(' | ');
          this.opts.onEvent?.(`${this.opts.name}: restart attempt ${attempt} failed: ${last.slice(0, 400)}`);
        }
      }
    } finally {
      this.restarting = undefined;
    }
  }
}
