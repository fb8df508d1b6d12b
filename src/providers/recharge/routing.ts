import type { Db } from '../../db/knex';
import {
  CircuitBreakers,
  type BreakerOptions,
  type BreakerOutcome,
  type BreakerState,
  type ProviderHealth,
} from '../circuit-breakers';
import type { ProviderResult } from './types';

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

/**
 * The routing table (recharge_routes) and each provider's circuit breaker (CircuitBreakers, in
 * PostgreSQL so every worker process sees the same state).
 */
export class RechargeRouter {
  private readonly breakers: CircuitBreakers;

  constructor(
    private readonly db: Db,
    opts: BreakerOptions,
  ) {
    this.breakers = new CircuitBreakers(db, opts);
  }

  /**
   * The providers to try for `operator`, best first: route and provider enabled, breaker closed
   * or due a probe, which exactly one caller across all processes gets.
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
      if (await this.breakers.admits(row.provider, row.state, row.due)) out.push(row.provider);
    }
    return out;
  }

  /** Records a call's effect on the provider's breaker; `opened` is true when this call opened it. */
  recordOutcome(provider: string, outcome: BreakerOutcome): Promise<ProviderHealth & { opened: boolean }> {
    return this.breakers.recordOutcome(provider, outcome);
  }

  health(provider: string): Promise<ProviderHealth> {
    return this.breakers.health(provider);
  }
}
