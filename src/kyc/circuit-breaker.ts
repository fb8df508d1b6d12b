/**
 * A small circuit breaker for one provider: after `failureThreshold` consecutive failures it opens
 * and refuses calls at once for `cooldownMs`; then one trial call is let through (half-open), whose
 * success closes it and whose failure opens it again. State is per process, which is enough to
 * stop one worker from hammering a provider that is down.
 */

export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  constructor(
    readonly circuit: string,
    readonly retryInMs: number,
  ) {
    super(`${circuit} circuit is open`);
  }
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  name: string;
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.opts.cooldownMs ? 'half_open' : 'open';
  }

  /** Runs `call`; errors for which `countsAsFailure` is false (e.g. a 4xx) leave the count alone. */
  async run<T>(call: () => Promise<T>, countsAsFailure: (err: unknown) => boolean = () => true): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half_open' && this.trialInFlight)) {
      const retryInMs = Math.max(0, this.opts.cooldownMs - (this.now() - (this.openedAt ?? 0)));
      throw new CircuitOpenError(this.opts.name, retryInMs);
    }
    const trial = state === 'half_open';
    if (trial) this.trialInFlight = true;
    try {
      const result = await call();
      this.failures = 0;
      this.openedAt = null;
      return result;
    } catch (err) {
      if (countsAsFailure(err)) {
        this.failures += 1;
        if (trial || this.failures >= this.opts.failureThreshold) this.openedAt = this.now();
      } else if (trial) {
        this.openedAt = null;
        this.failures = 0;
      }
      throw err;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }
}
