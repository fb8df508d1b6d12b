import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killProcess, startWorkerProcess } from './worker-process';

export interface WorkerExit {
  at: number;
  pid: number;
  role: 'active' | 'standby';
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote, for exits nobody planned. */
  tail: string[];
}

const entry = path.join(__dirname, 'chaos-worker.ts');
const MAX_START_ATTEMPTS = 5;

/**
 * Worker processes (test/support/chaos-worker.ts) kept running like a supervisor with warm
 * standbys would: `size` of them poll, as many more wait fully started, and when an active one
 * dies a standby takes its place at once while a new standby starts. Every exit is recorded.
 * Starting a worker takes seconds of CPU; without standbys, every kill would stall the test by
 * that much.
 */
export class WorkerPool {
  readonly exits: WorkerExit[] = [];
  readonly startMs: number[] = [];
  private readonly active = new Set<ChildProcess>();
  private readonly standby: ChildProcess[] = [];
  private readonly starting = new Set<Promise<void>>();
  private stopping = false;
  private failure: unknown;
  /** A standby starts polling when a file named after its pid appears here. */
  private readonly promoteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-promote-'));

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly size: number,
    private readonly opts: { logFile?: string; log?: (m: string) => void } = {},
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < 2 * this.size; i++) this.spawn();
    await this.settled();
  }

  /** Resolves once `size` workers poll and `size` standbys are ready again (after kills). */
  async settled(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.active.size < this.size || this.standby.length < this.size) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`worker pool not back to strength in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private spawn(): void {
    const run = this.startOne().catch((err: unknown) => {
      this.failure = err;
      this.opts.log?.(`gave up starting a worker: ${String(err).slice(0, 500)}`);
    });
    this.starting.add(run);
    const forget = () => this.starting.delete(run);
    run.then(forget, forget);
  }

  private async startOne(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      const began = Date.now();
      let child: ChildProcess;
      try {
        child = await startWorkerProcess({ ...this.env, CHAOS_PROMOTE_DIR: this.promoteDir }, { entry });
      } catch (err) {
        // e.g. PostgreSQL or Temporal is down right now: a supervisor tries again, for a while.
        const lines = (err as Error).message.split('\n').filter(Boolean);
        this.opts.log?.(`worker start failed (attempt ${attempt}): ${lines.slice(-8).join(' | ').slice(0, 2000)}`);
        if (attempt >= MAX_START_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      this.startMs.push(Date.now() - began);
      if (this.stopping) return void (await killProcess(child));
      this.watch(child);
      this.standby.push(child);
      this.promote();
      return;
    }
  }

  private watch(child: ChildProcess): void {
    const tail: string[] = [];
    const keep = (b: Buffer) => {
      tail.push(...b.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
      if (this.opts.logFile) fs.appendFileSync(this.opts.logFile, b);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Never outlive the test process, however it ends.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      const role = this.active.delete(child) ? 'active' : 'standby';
      const waiting = this.standby.indexOf(child);
      if (waiting >= 0) this.standby.splice(waiting, 1);
      this.exits.push({ at: Date.now(), pid: child.pid ?? 0, role, code, signal, tail });
      if (this.stopping) return;
      this.promote();
      this.spawn();
    });
  }

  /** Standbys take the places of workers that died. */
  private promote(): void {
    while (!this.stopping && this.active.size < this.size && this.standby.length > 0) {
      const next = this.standby.shift()!;
      this.active.add(next);
      fs.writeFileSync(path.join(this.promoteDir, String(next.pid)), '');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.active, ...this.standby].map((c) => killProcess(c)));
    await Promise.allSettled([...this.starting]);
    fs.rmSync(this.promoteDir, { recursive: true, force: true });
  }
}
