/** In-memory state stays bounded: the oldest entry goes when a new one would exceed `max`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

/** A newest-first log of at most `max` items. */
export class RecentList<T> {
  private items: T[] = [];

  constructor(private readonly max: number) {}

  add(item: T): void {
    this.items.unshift(item);
    if (this.items.length > this.max) this.items.length = this.max;
  }

  newestFirst(keep: (item: T) => boolean = () => true): T[] {
    return this.items.filter(keep);
  }
}

/** setTimeout calls that all stop when the simulator closes. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly controller = new AbortController();

  /** Aborted on close: in-flight webhooks and held responses give up. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  after(ms: number, fn: () => void | Promise<void>): void {
    if (this.controller.signal.aborted) return;
    const t = setTimeout(() => {
      this.pending.delete(t);
      void fn();
    }, ms);
    this.pending.add(t);
  }

  /** Resolves after `ms`, or rejects with an AbortError when the simulator closes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.controller.signal;
      if (signal.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        this.pending.delete(t);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        this.pending.delete(t);
        reject(signal.reason);
      };
      this.pending.add(t);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.controller.abort(new Error('simulator closed'));
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
