import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { whereInSubtree } from '../db/subtree';
import { commissionChainAt, payeeTaxStates, tdsSettings } from '../catalog/commission-store';
import type { Beneficiary, TdsContext } from './commission';
import type { OperatorConfig } from './operators';
import type { Recharge, RechargeFailureCode, RechargeStatus, TimelineEntry } from './types';

interface RechargeRow {
  id: string;
  user_id: string;
  workflow_id: string;
  operator: string;
  subscriber: string;
  circle: string | null;
  amount: bigint;
  status: RechargeStatus;
  provider: string | null;
  operator_ref: string | null;
  commission: bigint;
  failure_code: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

function toRecharge(r: RechargeRow, timeline: TimelineEntry[]): Recharge {
  return {
    id: r.id,
    userId: r.user_id,
    workflowId: r.workflow_id,
    operator: r.operator,
    subscriber: r.subscriber,
    circle: r.circle,
    amount: r.amount,
    status: r.status,
    provider: r.provider,
    operatorRef: r.operator_ref,
    commission: r.commission,
    failureCode: r.failure_code,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    timeline,
  };
}

export const finalRechargeStatuses: readonly RechargeStatus[] = ['success', 'failed', 'reversed'];

/** Which status may follow which: the projection never moves backwards, whatever order activities replay in. */
const nextStatuses: Record<RechargeStatus, readonly RechargeStatus[]> = {
  // A risk review holds a recharge in manual_review from screening on; approved, it goes on to processing.
  received: ['processing', 'failed', 'manual_review'],
  processing: ['pending', 'success', 'failed', 'manual_review'],
  pending: ['success', 'failed', 'manual_review'],
  manual_review: ['success', 'failed', 'processing'],
  success: ['reversed'],
  failed: [],
  reversed: [],
};

export interface StatusChange {
  status: RechargeStatus;
  note?: string | null;
  provider?: string | null;
  operatorRef?: string | null;
  commission?: bigint;
  failureCode?: RechargeFailureCode | null;
  failureReason?: string | null;
}

/** The recharges projection, its timeline, operators and commission plans. */
export class RechargeStore {
  constructor(private readonly db: Db) {}

  /** The operator's rules; a plan-only operator accepts its active plans' amounts (of `circle`, when given). */
  async operator(code: string, circle?: string | null): Promise<OperatorConfig | undefined> {
    const r = (await this.db('operators as o')
      .where({ code })
      .first(
        'o.*',
        this.db.raw(
          `case when o.plan_only then coalesce((select array_agg(distinct p.amount) from plans p
              where p.operator = o.code and p.active and (p.circle is null or ?::text is null or p.circle = ?)),
             '{}') else o.plan_amounts end as plan_amounts`,
          [circle ?? null, circle ?? null],
        ),
      )) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      code: r.code as string,
      name: r.name as string,
      kind: r.kind as OperatorConfig['kind'],
      minAmount: r.min_amount as bigint,
      maxAmount: r.max_amount as bigint,
      amountStep: r.amount_step as bigint,
      planAmounts: (r.plan_amounts as string[] | null)?.map((a) => BigInt(a)) ?? null,
      enabled: r.enabled as boolean,
    };
  }

  async get(id: string): Promise<Recharge | undefined> {
    const row = (await this.db('recharges').where({ id }).first()) as RechargeRow | undefined;
    if (!row) return undefined;
    const events = (await this.db('recharge_events')
      .where({ recharge_id: id })
      .orderBy('id')
      .select('at', 'status', 'note')) as TimelineEntry[];
    return toRecharge(row, events);
  }

  /** Inserts the recharge as received (once: a replayed activity finds it there) within `trx`. */
  async insertReceived(
    trx: Knex.Transaction,
    r: Pick<Recharge, 'id' | 'userId' | 'workflowId' | 'operator' | 'subscriber' | 'circle' | 'amount'>,
  ): Promise<boolean> {
    const inserted = (await trx('recharges')
      .insert({
        id: r.id,
        user_id: r.userId,
        workflow_id: r.workflowId,
        operator: r.operator,
        subscriber: r.subscriber,
        circle: r.circle,
        amount: r.amount,
        status: 'received',
      })
      .onConflict('id')
      .ignore()
      .returning('id')) as unknown[];
    if (inserted.length) await trx('recharge_events').insert({ recharge_id: r.id, status: 'received' });
    return inserted.length > 0;
  }

  /** Where screening of this recharge stands: a replayed screening must not screen twice. */
  async screeningState(
    trx: Knex.Transaction,
    id: string,
  ): Promise<{ status: RechargeStatus; failureCode: string | null; failureReason: string | null }> {
    const r = (await trx('recharges').where({ id }).first('status', 'failure_code', 'failure_reason')) as {
      status: RechargeStatus;
      failure_code: string | null;
      failure_reason: string | null;
    };
    return { status: r.status, failureCode: r.failure_code, failureReason: r.failure_reason };
  }

  /**
   * Serialises screenings of the same user, subscriber, operator and amount until `trx` ends, so
   * that two requests racing under different keys see each other in recentDuplicate.
   */
  async lockDuplicateKey(
    trx: Knex.Transaction,
    r: { userId: string; operator: string; subscriber: string; amount: bigint },
  ): Promise<void> {
    await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
      `recharge-dup:${r.userId}:${r.operator}:${r.subscriber}:${r.amount}`,
    ]);
  }

  /**
   * The same subscriber, operator and amount from the same user within the window, not failed:
   * the caller holds an advisory lock on that combination so two racing requests see each other.
   */
  async recentDuplicate(
    trx: Knex.Transaction,
    r: { id: string; userId: string; operator: string; subscriber: string; amount: bigint },
    windowSeconds: number,
  ): Promise<string | undefined> {
    const row = (await trx('recharges')
      .where({ user_id: r.userId, operator: r.operator, subscriber: r.subscriber, amount: r.amount })
      .whereNot({ id: r.id })
      .whereNotIn('status', ['failed'])
      .where('created_at', '>', trx.raw(`now() - make_interval(secs => ?)`, [windowSeconds]))
      .first('id')) as { id: string } | undefined;
    return row?.id;
  }

  /**
   * Moves the projection forward and appends to the timeline, in one statement pair. A change
   * that is not a legal next step (a replay, a late duplicate) changes nothing and returns false.
   */
  async changeStatus(id: string, change: StatusChange, trx?: Knex.Transaction): Promise<boolean> {
    const run = async (t: Knex.Transaction) => {
      const current = (await t('recharges').where({ id }).forUpdate().first('status')) as
        { status: RechargeStatus } | undefined;
      if (!current || !nextStatuses[current.status].includes(change.status)) return false;
      await t('recharges')
        .where({ id })
        .update({
          status: change.status,
          ...(change.provider !== undefined ? { provider: change.provider } : {}),
          ...(change.operatorRef !== undefined ? { operator_ref: change.operatorRef } : {}),
          ...(change.commission !== undefined ? { commission: change.commission } : {}),
          ...(change.failureCode !== undefined ? { failure_code: change.failureCode } : {}),
          ...(change.failureReason !== undefined ? { failure_reason: change.failureReason } : {}),
          updated_at: t.fn.now(),
        });
      await t('recharge_events').insert({ recharge_id: id, status: change.status, note: change.note ?? null });
      return true;
    };
    return trx ? run(trx) : this.db.transaction(run);
  }

  /** A note on the timeline without a status change (a provider switch, an ignored late callback). */
  async note(id: string, status: string, note: string): Promise<void> {
    await this.db('recharge_events').insert({ recharge_id: id, status, note });
  }

  async setProvider(id: string, provider: string): Promise<void> {
    await this.db('recharges').where({ id }).update({ provider, updated_at: this.db.fn.now() });
  }

  /** The recharging user and its uplines, each with the rules of its commission plan in force at `at`. */
  async commissionChain(userId: string, at: Date): Promise<Beneficiary[]> {
    return commissionChainAt(this.db, userId, at);
  }

  /** What TDS on the commissions of `reference` depends on: the settings and each payee's year so far. */
  async tdsContext(userIds: string[], at: Date, reference: string): Promise<TdsContext> {
    const settings = await tdsSettings(this.db);
    return { settings, payees: await payeeTaxStates(this.db, userIds, at, reference, settings.thresholdPaise) };
  }

  async createdAt(id: string): Promise<Date | undefined> {
    const r = (await this.db('recharges').where({ id }).first('created_at')) as { created_at: Date } | undefined;
    return r?.created_at;
  }

  async list(filter: {
    id?: string;
    userId?: string;
    pathPrefix?: string;
    status?: RechargeStatus;
    subscriber?: string;
    from?: Date;
    to?: Date;
    afterId?: string;
    limit: number;
  }): Promise<{ items: Recharge[]; more: boolean }> {
    const q = this.db('recharges as r')
      .join('users as u', 'u.id', 'r.user_id')
      .select('r.*')
      .orderBy([{ column: 'r.created_at' }, { column: 'r.id' }])
      .limit(filter.limit + 1);
    if (filter.id) q.where('r.id', filter.id);
    if (filter.userId) q.where('r.user_id', filter.userId);
    if (filter.status) q.where('r.status', filter.status);
    if (filter.subscriber) q.where('r.subscriber', filter.subscriber);
    if (filter.from) q.where('r.created_at', '>=', filter.from);
    if (filter.to) q.where('r.created_at', '<', filter.to);
    if (filter.pathPrefix) whereInSubtree(q, 'u.path', filter.pathPrefix);
    if (filter.afterId) {
      q.whereRaw('(r.created_at, r.id) > (select created_at, id from recharges where id = ?)', [filter.afterId]);
    }
    const rows = (await q) as RechargeRow[];
    const page = rows.slice(0, filter.limit);
    const events = page.length
      ? ((await this.db('recharge_events')
          .whereIn(
            'recharge_id',
            page.map((r) => r.id),
          )
          .orderBy('id')
          .select('recharge_id', 'at', 'status', 'note')) as Array<TimelineEntry & { recharge_id: string }>)
      : [];
    return {
      items: page.map((r) =>
        toRecharge(
          r,
          events.filter((e) => e.recharge_id === r.id).map(({ at, status, note }) => ({ at, status, note })),
        ),
      ),
      more: rows.length > filter.limit,
    };
  }
}
