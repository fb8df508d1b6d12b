/**
 * In-process batcher (TigerBeetle style). Concurrent createTransfers calls queue here; whenever
 * a database slot is free, everything queued (up to maxBatchTransfers) goes into ONE database
 * transaction. Under light load a batch holds a single request (no added latency); under load
 * batches grow by themselves while the previous ones are in flight.
 * A request (one caller's linked list) is never split across batches.
 */
import { LedgerUnavailable } from './errors';
import type { Request } from './posting';
import type { TransferResult } from './types';

export interface BatcherOptions {
  /** Most transfers per database transaction (a single larger request still goes alone). */
  maxBatchTransfers: number;
  /** Database transactions in flight at once from this process. */
  maxInFlight: number;
  /** Wait this long to collect a batch before the first flush (0 = next turn of the event loop). */
  lingerMs: number;
}

interface Item {
  request: Request;
  resolve: (r: TransferResult[]) => void;
  reject: (e: unknown) => void;
}

export interface BatcherStats {
  batches: number;
  transfers: number;
  maxBatch: number;
}

export class Batcher {
  private queue: Item[] = [];
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];
  readonly stats: BatcherStats = { batches: 0, transfers: 0, maxBatch: 0 };

  constructor(
    private readonly run: (requests: Request[]) => Promise<TransferResult[][]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(request: Request): Promise<TransferResult[]> {
    if (this.closed) return Promise.reject(new LedgerUnavailable('the ledger is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      this.pump();
    };
    if (this.opts.lingerMs > 0) setTimeout(fire, this.opts.lingerMs);
    else setImmediate(fire);
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const items: Item[] = [];
      let size = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        if (items.length > 0 && size + next.request.length > this.opts.maxBatchTransfers) break;
        this.queue.shift();
        items.push(next);
        size += next.request.length;
      }
      this.inFlight++;
      this.stats.batches++;
      this.stats.transfers += size;
      if (size > this.stats.maxBatch) this.stats.maxBatch = size;
      void this.dispatch(items).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.pump();
        else if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  private async dispatch(items: Item[]): Promise<void> {
    try {
      const results = await this.run(items.map((i) => i.request));
      items.forEach((it, k) => it.resolve(results[k]!));
    } catch (e) {
      if (items.length === 1) {
        items[0]!.reject(e);
        return;
      }
      // Something unexpected failed the shared transaction: isolate the callers so that one
      // caller's problem cannot fail another's transfers.
      for (const it of items) {
        try {
          const [r] = await this.run([it.request]);
          it.resolve(r!);
        } catch (e2) {
          it.reject(e2);
        }
      }
    }
  }

  /** Stops accepting work and waits for everything queued to be written. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && this.inFlight === 0 && !this.scheduled) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
