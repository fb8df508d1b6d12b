import type { Db } from '../db/knex';
import { whereInSubtree } from '../db/subtree';
import type { Topup, TopupStatus } from './types';

interface TopupRow {
  id: string;
  user_id: string;
  amount: bigint;
  method: Topup['method'];
  status: TopupStatus;
  utr: string | null;
  order_id: string | null;
  payment_url: string | null;
  workflow_id: string;
  decided_by: string | null;
  note: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

function toTopup(r: TopupRow): Topup {
  return {
    id: r.id,
    userId: r.user_id,
    amount: r.amount,
    method: r.method,
    status: r.status,
    utr: r.utr,
    orderId: r.order_id,
    paymentUrl: r.payment_url,
    workflowId: r.workflow_id,
    decidedBy: r.decided_by,
    note: r.note,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The top-ups projection: written at request time and by the top-up workflow's activities. */
export class TopupStore {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<Topup | undefined> {
    const row = (await this.db('topups').where({ id }).first()) as TopupRow | undefined;
    return row ? toTopup(row) : undefined;
  }

  async byOrderId(orderId: string): Promise<Topup | undefined> {
    const row = (await this.db('topups').where({ order_id: orderId }).first()) as TopupRow | undefined;
    return row ? toTopup(row) : undefined;
  }

  /** Inserts the request; an existing row with the same id (a retried request) is returned as is. */
  async insert(
    t: Pick<Topup, 'id' | 'userId' | 'amount' | 'method' | 'status' | 'utr' | 'workflowId'>,
  ): Promise<Topup> {
    await this.db('topups')
      .insert({
        id: t.id,
        user_id: t.userId,
        amount: t.amount,
        method: t.method,
        status: t.status,
        utr: t.utr,
        workflow_id: t.workflowId,
      })
      .onConflict('id')
      .ignore();
    return (await this.get(t.id))!;
  }

  async setOrder(id: string, orderId: string, paymentUrl: string): Promise<void> {
    await this.db('topups')
      .where({ id })
      .update({ order_id: orderId, payment_url: paymentUrl, updated_at: this.db.fn.now() });
  }

  /** Moves a top-up to a final status once; a replayed activity finds it already there. */
  async finish(
    id: string,
    status: TopupStatus,
    fields: { decidedBy?: string | null; note?: string | null; failureReason?: string | null } = {},
  ): Promise<void> {
    await this.db('topups')
      .where({ id })
      .whereIn('status', ['pending_approval', 'awaiting_payment'])
      .update({
        status,
        decided_by: fields.decidedBy ?? null,
        note: fields.note ?? null,
        failure_reason: fields.failureReason ?? null,
        updated_at: this.db.fn.now(),
      });
  }

  async list(filter: { pathPrefix?: string; status?: TopupStatus; limit: number; afterId?: string }) {
    const q = this.db('topups as t')
      .join('users as u', 'u.id', 't.user_id')
      .select('t.*')
      .orderBy([{ column: 't.created_at' }, { column: 't.id' }])
      .limit(filter.limit + 1);
    if (filter.status) q.where('t.status', filter.status);
    if (filter.pathPrefix) whereInSubtree(q, 'u.path', filter.pathPrefix);
    if (filter.afterId) {
      q.whereRaw('(t.created_at, t.id) > (select created_at, id from topups where id = ?)', [filter.afterId]);
    }
    const rows = ((await q) as TopupRow[]).map(toTopup);
    return { items: rows.slice(0, filter.limit), more: rows.length > filter.limit };
  }
}
