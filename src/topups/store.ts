import type { Db } from '../db/knex';
import { whereInSubtree } from '../db/subtree';
import {
  openTopupStatuses,
  type GatewayPaymentAction,
  type GatewayPaymentSettlement,
  type Topup,
  type TopupStatus,
} from './types';

interface TopupRow {
  id: string;
  user_id: string;
  amount: bigint;
  method: Topup['method'];
  status: TopupStatus;
  utr: string | null;
  utr_duplicate_of: string | null;
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
    utrDuplicateOf: r.utr_duplicate_of,
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

/** A recorded gateway payment: what was done with it, or action null while it is being settled. */
export interface PaymentRecord {
  action: GatewayPaymentAction | null;
  detail: string | null;
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
      .whereIn('status', openTopupStatuses)
      .update({
        status,
        decided_by: fields.decidedBy ?? null,
        note: fields.note ?? null,
        failure_reason: fields.failureReason ?? null,
        updated_at: this.db.fn.now(),
      });
  }

  /** Records a payment the gateway reported (once per payment id) and answers its record. */
  async recordPayment(p: {
    paymentId: string;
    topupId: string;
    orderId: string;
    outcome: 'success' | 'failure';
    amount: bigint;
  }): Promise<PaymentRecord> {
    await this.db('topup_gateway_payments')
      .insert({
        payment_id: p.paymentId,
        topup_id: p.topupId,
        order_id: p.orderId,
        outcome: p.outcome,
        amount: p.amount,
      })
      .onConflict('payment_id')
      .ignore();
    return (await this.payment(p.paymentId))!;
  }

  async payment(paymentId: string): Promise<PaymentRecord | undefined> {
    return (await this.db('topup_gateway_payments').where({ payment_id: paymentId }).first('action', 'detail')) as
      PaymentRecord | undefined;
  }

  /**
   * What was done with a payment, and the projection change it makes, in one transaction and once:
   * a second settlement of the same payment (a retried activity) changes nothing.
   * - `completed`: credited; from any status but completed (a late payment credits a failed or
   *   expired order), the note saying why when it was late;
   * - `failed`: an open top-up whose payment cannot be credited;
   * - `noted`: a closed top-up keeps its status; the note records the payment.
   */
  async settlePayment(
    topupId: string,
    paymentId: string,
    settlement: GatewayPaymentSettlement,
    projection:
      | { kind: 'completed'; note: string | null }
      | { kind: 'failed'; failureReason: string }
      | { kind: 'noted'; note: string }
      | { kind: 'none' },
  ): Promise<void> {
    await this.db.transaction(async (trx) => {
      const settled = await trx('topup_gateway_payments')
        .where({ payment_id: paymentId })
        .whereNull('action')
        .update({ action: settlement.action, detail: settlement.detail, settled_at: trx.fn.now() });
      if (!settled) return;
      const topup = trx('topups').where({ id: topupId });
      const appended = (note: string) =>
        trx.raw("case when note is null then ? else note || '; ' || ? end", [note, note]);
      if (projection.kind === 'completed') {
        await topup.whereNot('status', 'completed').update({
          status: 'completed',
          failure_reason: null,
          ...(projection.note === null ? {} : { note: appended(projection.note) }),
          updated_at: trx.fn.now(),
        });
      } else if (projection.kind === 'failed') {
        await topup
          .whereIn('status', openTopupStatuses)
          .update({ status: 'failed', failure_reason: projection.failureReason, updated_at: trx.fn.now() });
      } else if (projection.kind === 'noted') {
        await topup.update({ note: appended(projection.note), updated_at: trx.fn.now() });
      }
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
