import type { Db } from '../db/knex';

export type BreakerState = 'closed' | 'open' | 'half_open';
export type BreakerOutcome = 'ok' | 'failure';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  threshold: number;
  /** How long an open breaker keeps the provider out before one probe is let through. */
  cooldownMs: number;
}

export interface ProviderHealth {
  provider: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedUntil: Date | null;
}

/** The breaker refused the call: the provider is kept out until its cool-down ends. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  constructor(readonly provider: string) {
    super(`${provider} circuit is open`);
  }
}

interface HealthRow {
  provider: string;
  state: BreakerState;
  consecutive_failures: number;
  opened_until: Date | null;
}

function toHealth(r: HealthRow): ProviderHealth {
  return {
    provider: r.provider,
    state: r.state,
    consecutiveFailures: r.consecutive_failures,
    openedUntil: r.opened_until,
  };
}

/**
 * One circuit breaker per provider (recharge providers by name, the KYC provider as `kyc`), in
 * PostgreSQL (provider_health) so every process sees the same state; the database clock decides
 * cool-downs. After `threshold` consecutive failures a breaker opens and keeps its provider out
 * for `cooldownMs`; then exactly one caller across all processes may probe it (half-open), whose
 * success closes it and whose failure opens it again. If the probe's outcome is never recorded
 * (the caller died), another probe is allowed one cool-down later. No row means closed.
 */
export class CircuitBreakers {
  constructor(
    private readonly db: Db,
    private readonly opts: BreakerOptions,
  ) {}

  /** Whether a call may go to the provider now: its breaker is closed, or this caller won the probe. */
  async allows(provider: string): Promise<boolean> {
    const row = (await this.db('provider_health')
      .where({ provider })
      .first('state', this.db.raw('opened_until <= now() as due'))) as
      { state: BreakerState; due: boolean | null } | undefined;
    return this.admits(provider, row?.state ?? null, row?.due ?? null);
  }

  /** The same decision from a state already read (e.g. joined to a routing table). */
  async admits(provider: string, state: BreakerState | null, due: boolean | null): Promise<boolean> {
    if (state === null || state === 'closed') return true;
    return due === true && this.claimProbe(provider);
  }

  /**
   * Runs `call` if the breaker allows it (CircuitOpenError otherwise) and records what it says about
   * the provider: an error for which `countsAsFailure` is false (the provider answered, e.g. a 4xx)
   * is an answer, so it counts as healthy.
   */
  async run<T>(provider: string, call: () => Promise<T>, countsAsFailure: (err: unknown) => boolean): Promise<T> {
    if (!(await this.allows(provider))) throw new CircuitOpenError(provider);
    // The breaker is advisory: failing to record an outcome must not lose the provider's answer.
    const record = (outcome: BreakerOutcome) => this.recordOutcome(provider, outcome).catch(() => undefined);
    let result: T;
    try {
      result = await call();
    } catch (err) {
      await record(countsAsFailure(err) ? 'failure' : 'ok');
      throw err;
    }
    await record('ok');
    return result;
  }

  /** Records a call's effect on the provider's breaker; `opened` is true when this call opened it. */
  async recordOutcome(provider: string, outcome: BreakerOutcome): Promise<ProviderHealth & { opened: boolean }> {
    if (outcome === 'ok') {
      await this.db.raw(
        `insert into provider_health as h (provider) values (?)
         on conflict (provider) do update
           set state = 'closed', consecutive_failures = 0, opened_until = null, updated_at = now()
         where h.state <> 'closed' or h.consecutive_failures <> 0`,
        [provider],
      );
      return { provider, state: 'closed', consecutiveFailures: 0, openedUntil: null, opened: false };
    }
    return this.db.transaction(async (trx) => {
      await trx.raw('insert into provider_health (provider) values (?) on conflict (provider) do nothing', [provider]);
      const { rows } = (await trx.raw(
        'select state, consecutive_failures from provider_health where provider = ? for update',
        [provider],
      )) as { rows: Array<Pick<HealthRow, 'state' | 'consecutive_failures'>> };
      const before = rows[0]!;
      const failures = before.consecutive_failures + 1;
      // An open breaker stays as it is: these are late answers to calls made before it opened.
      const opens = before.state === 'half_open' || (before.state === 'closed' && failures >= this.opts.threshold);
      const updated = (await trx.raw(
        `update provider_health
            set consecutive_failures = ?,
                state = case when ? then 'open' else state end,
                opened_until = case when ? then now() + ? * interval '1 millisecond' else opened_until end,
                updated_at = now()
          where provider = ?
          returning provider, state, consecutive_failures, opened_until`,
        [failures, opens, opens, this.opts.cooldownMs, provider],
      )) as { rows: HealthRow[] };
      return { ...toHealth(updated.rows[0]!), opened: opens };
    });
  }

  async health(provider: string): Promise<ProviderHealth> {
    const row = (await this.db('provider_health').where({ provider }).first()) as HealthRow | undefined;
    return row ? toHealth(row) : { provider, state: 'closed', consecutiveFailures: 0, openedUntil: null };
  }

  /** Moves a breaker due a probe to half-open; true for the one caller that did it. */
  private async claimProbe(provider: string): Promise<boolean> {
    const { rows } = (await this.db.raw(
      `update provider_health
          set state = 'half_open', opened_until = now() + ? * interval '1 millisecond', updated_at = now()
        where provider = ? and state in ('open', 'half_open') and opened_until <= now()
        returning provider`,
      [this.opts.cooldownMs, provider],
    )) as { rows: unknown[] };
    return rows.length === 1;
  }
}
