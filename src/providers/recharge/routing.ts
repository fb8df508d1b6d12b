import type { Db } from '../../db/knex';
import type { ProviderResult } from './types';

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

/**
 * What a call says about the provider's health. A provider that answered (even a decline of a bad
 * number) is healthy; a refusal, a timeout or its own decline counts against it.
 */
export function breakerOutcome(result: ProviderResult): BreakerOutcome {
  switch (result.status) {
    case 'unavailable':
    case 'unknown':
      return 'failure';
    case 'failed':
      return result.fault === 'provider' ? 'failure' : 'ok';
    default:
      return 'ok';
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
 * The routing table (recharge_routes) and each provider's circuit breaker (provider_health), in
 * PostgreSQL so every worker process sees the same state; the database clock decides cool-downs.
 */
export class RechargeRouter {
  constructor(
    private readonly db: Db,
    private readonly opts: BreakerOptions,
  ) {}

  /**
   * The providers to try for `operator`, best first: route and provider enabled, breaker closed
   * or due a probe. A breaker past its cool-down is moved to half-open and its provider listed by
   * exactly one caller across all processes; if that probe's outcome is never recorded (the caller
   * used an earlier candidate, or died), another probe is allowed one cool-down later.
   */
  async candidates(operator: string, { exclude = [] }: { exclude?: readonly string[] } = {}): Promise<string[]> {
    const { rows } = (await this.db.raw(
      `select r.provider, h.state, h.opened_until <= now() as due
         from recharge_routes r
         join recharge_providers p on p.name = r.provider
         left join provider_health h on h.provider = r.provider
        where r.operator = ? and r.enabled and p.enabled
        order by r.priority, r.provider`,
      [operator],
    )) as { rows: Array<{ provider: string; state: BreakerState | null; due: boolean | null }> };

    const out: string[] = [];
    for (const row of rows) {
      if (exclude.includes(row.provider)) continue;
      if (row.state === null || row.state === 'closed') out.push(row.provider);
      else if (row.due && (await this.claimProbe(row.provider))) out.push(row.provider);
    }
    return out;
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
