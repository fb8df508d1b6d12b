import type { Db } from '../../db/knex';
import type { ProviderExchange } from './types';

export interface StoredExchange extends ProviderExchange {
  id: bigint;
  rechargeId: string | null;
}

interface ExchangeRow {
  id: bigint;
  recharge_id: string | null;
  provider: string;
  operation: ProviderExchange['operation'];
  request: ProviderExchange['request'];
  response: ProviderExchange['response'];
  error: string | null;
  duration_ms: number;
  created_at: Date;
}

function toExchange(r: ExchangeRow): StoredExchange {
  return {
    id: r.id,
    rechargeId: r.recharge_id,
    provider: r.provider,
    operation: r.operation,
    request: r.request,
    response: r.response,
    error: r.error,
    durationMs: r.duration_ms,
    at: r.created_at,
  };
}

/** provider_exchanges: every raw call and callback (credentials already masked by the adapter). */
export class ExchangeStore {
  constructor(private readonly db: Db) {}

  /** `rechargeId` null: a callback that could not be tied to a recharge of ours. */
  async record(rechargeId: string | null, exchange: ProviderExchange): Promise<bigint> {
    const [row] = (await this.db('provider_exchanges')
      .insert({
        recharge_id: rechargeId,
        provider: exchange.provider,
        operation: exchange.operation,
        request: JSON.stringify(exchange.request),
        response: exchange.response === null ? null : JSON.stringify(exchange.response),
        error: exchange.error,
        duration_ms: exchange.durationMs,
        created_at: exchange.at,
      })
      .returning('id')) as Array<{ id: bigint }>;
    return row!.id;
  }

  /** Oldest first. */
  async list(rechargeId: string): Promise<StoredExchange[]> {
    const rows = (await this.db('provider_exchanges')
      .where({ recharge_id: rechargeId })
      .orderBy('id', 'asc')) as ExchangeRow[];
    return rows.map(toExchange);
  }

  /**
   * The latest submission of this recharge to this provider, whatever came of it. When there is
   * one, the provider may hold the clientRef: ask its status before submitting again.
   */
  async lastSubmission(rechargeId: string, provider: string): Promise<StoredExchange | undefined> {
    const row = (await this.db('provider_exchanges')
      .where({ recharge_id: rechargeId, provider, operation: 'submit' })
      .orderBy('id', 'desc')
      .first()) as ExchangeRow | undefined;
    return row ? toExchange(row) : undefined;
  }
}
