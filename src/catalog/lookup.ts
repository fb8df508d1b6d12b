import type { Knex } from 'knex';
import type { LookupResult } from '../providers/recharge/types';
import { decideBySeries, prefixesOf, prepaidNumber, type SeriesRow } from './series';

export interface SubscriberLookup {
  subscriber: string;
  operator: string;
  circle: string | null;
  source: 'series' | 'provider';
}

/** The providers to ask, by name; only those with a lookup answer. */
export interface LookupProviders {
  get(name: string): Promise<{ lookup?(subscriber: string): Promise<LookupResult> } | undefined>;
}

/** How long a provider's answer is kept: numbers are ported rarely, and each lookup may cost. */
export const DEFAULT_LOOKUP_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Which operator and circle serve a prepaid number: a provider's earlier answer while it is
 * fresh (ported numbers), else the number series, else (the series ambiguous or missing) the
 * lookup of each enabled provider that has one, in name order, its answer kept for `ttlSeconds`.
 */
export class OperatorLookup {
  constructor(
    private readonly db: Knex,
    private readonly providers: LookupProviders,
    private readonly ttlSeconds = DEFAULT_LOOKUP_TTL_SECONDS,
  ) {}

  async lookup(subscriber: string): Promise<SubscriberLookup | undefined> {
    if (!prepaidNumber.test(subscriber)) return undefined;
    const cached = (await this.db('subscriber_lookups')
      .where({ subscriber })
      .where('expires_at', '>', this.db.fn.now())
      .first('operator', 'circle')) as { operator: string; circle: string | null } | undefined;
    if (cached) return { subscriber, ...cached, source: 'provider' };

    const rows = (await this.db('number_series')
      .whereIn('series', prefixesOf(subscriber))
      .select('series', 'operator', 'circle')) as SeriesRow[];
    const bySeries = decideBySeries(subscriber, rows);
    if (bySeries.kind === 'unique') {
      return { subscriber, operator: bySeries.operator, circle: bySeries.circle, source: 'series' };
    }
    const asked = await this.askProviders(subscriber);
    if (!asked) return undefined;
    await this.db('subscriber_lookups')
      .insert({
        subscriber,
        operator: asked.operator,
        circle: asked.circle,
        provider: asked.provider,
        expires_at: this.db.raw(`now() + make_interval(secs => ?)`, [this.ttlSeconds]),
      })
      .onConflict('subscriber')
      .merge();
    return { subscriber, operator: asked.operator, circle: asked.circle, source: 'provider' };
  }

  private async askProviders(subscriber: string) {
    const names = (await this.db('recharge_providers')
      .where('enabled', true)
      .whereRaw(`jsonb_exists(definition, 'lookup')`)
      .orderBy('name')
      .select('name')) as Array<{ name: string }>;
    for (const { name } of names) {
      const provider = await this.providers.get(name);
      const answer = await provider?.lookup?.(subscriber);
      if (answer?.status !== 'found') continue;
      const known = (await this.db('operators').where({ code: answer.operator, kind: 'prepaid' }).first('code')) as
        { code: string } | undefined;
      if (known) return { operator: answer.operator, circle: answer.circle, provider: name };
    }
    return undefined;
  }
}
