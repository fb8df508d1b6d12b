import { isUniqueViolation } from '../db/errors';
import { createHash } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Config } from '../config';
import { AppError, notFound } from '../errors';
import { searchAttributes } from '../temporal/search-attributes';
import type { UserService } from '../users/service';
import type { Caller } from '../users/types';
import type { TopupStore } from './store';
import { finalTopupStatuses, topupWorkflowId, type Topup, type TopupStatus } from './types';
import {
  decideTopupUpdate,
  expireTopupUpdate,
  gatewayPaymentSignal,
  paymentLinkUpdate,
  type GatewayPaymentEvent,
  type TopupWorkflowInput,
} from './workflow-api';

const PAYMENT_LINK_WAIT_MS = 5_000;

export type NewTopup = { amount: bigint; method: 'bank_transfer'; utr: string } | { amount: bigint; method: 'gateway' };

/** Top-ups over the API: requests start workflows; decisions and webhooks go to them. */
export class TopupService {
  constructor(
    private readonly config: Config,
    private readonly temporal: Client,
    private readonly store: TopupStore,
    private readonly users: UserService,
  ) {}

  /** The same caller and Idempotency-Key always name the same top-up (and so the same workflow). */
  static topupId(callerId: string, idempotencyKey: string): string {
    return `tpu_${createHash('sha256').update(`${callerId}\n${idempotencyKey}`).digest('hex').slice(0, 26)}`;
  }

  async create(caller: Caller, req: NewTopup, idempotencyKey: string): Promise<Topup> {
    const id = TopupService.topupId(caller.id, idempotencyKey);
    const workflowId = topupWorkflowId(id);
    const bank = req.method === 'bank_transfer';
    let topup: Topup;
    try {
      topup = await this.store.insert({
        id,
        userId: caller.id,
        amount: req.amount,
        method: req.method,
        status: bank ? 'pending_approval' : 'awaiting_payment',
        utr: bank ? req.utr : null,
        workflowId,
      });
    } catch (err) {
      if (isUniqueViolation(err, 'topups_user_utr_key')) {
        throw new AppError('CONFLICT', 'This UTR has already been claimed in another top-up request');
      }
      throw err;
    }
    const input: TopupWorkflowInput = {
      topupId: id,
      userId: caller.id,
      amountPaise: req.amount.toString(),
      method: req.method,
      approvalTtlSeconds: this.config.topups.approvalTtlSeconds,
      paymentTtlSeconds: this.config.topups.paymentTtlSeconds,
    };
    const handle = await this.temporal.workflow.start('topupWorkflow', {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: searchAttributes.userId, value: caller.id },
        { key: searchAttributes.topupStatus, value: topup.status },
        { key: searchAttributes.amountPaise, value: Number(req.amount) },
      ],
    });
    if (!bank) {
      // The workflow creates the gateway order; wait briefly for its payment link. A slow or absent
      // gateway must not hold the request: the top-up is answered awaiting_payment, and GET shows
      // the link once there is one (or the failure).
      try {
        await this.temporal.withDeadline(Date.now() + PAYMENT_LINK_WAIT_MS, () =>
          handle.executeUpdate(paymentLinkUpdate),
        );
      } catch (err) {
        if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) throw err;
      }
    }
    return (await this.store.get(id))!;
  }

  /** A top-up whose requester the caller may see; NOT_FOUND otherwise. */
  async visible(caller: Caller, id: string): Promise<Topup> {
    const topup = await this.store.get(id);
    if (!topup) throw notFound('Top-up');
    try {
      await this.users.visible(caller, topup.userId);
    } catch {
      throw notFound('Top-up');
    }
    return topup;
  }

  async decide(caller: Caller, id: string, decision: 'approve' | 'reject', note?: string): Promise<Topup> {
    const topup = await this.visible(caller, id);
    const requester = await this.users.visible(caller, topup.userId);
    const directUpline = requester.parentId === caller.id;
    if (caller.id === requester.id || !(caller.role === 'admin' || directUpline) || caller.role === 'support') {
      throw new AppError('FORBIDDEN', 'Only the direct upline or an admin can decide this top-up');
    }
    if (caller.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
    if (decision === 'approve' && requester.status !== 'active') {
      throw new AppError('USER_SUSPENDED', 'The requesting user is suspended');
    }
    if (topup.method !== 'bank_transfer') {
      throw new AppError('CONFLICT', 'Gateway top-ups are settled by the payment gateway');
    }
    if (finalTopupStatuses.includes(topup.status)) {
      throw new AppError('CONFLICT', `This top-up is already ${topup.status}`);
    }
    return this.updateWorkflow(topup, (h) =>
      h.executeUpdate(decideTopupUpdate, {
        args: [{ decision, by: caller.id, fundedBy: caller.role === 'admin' ? 'platform' : 'approver', note }],
      }),
    );
  }

  /**
   * Operations settle a stuck request (src/ops, which records the audit trail): support or an
   * admin approves it (credited from the platform float, as an admin's approval is), rejects it,
   * or expires it; a gateway order that was never paid can only be expired.
   */
  async settleAsOperations(
    caller: Caller,
    id: string,
    action: 'approve' | 'reject' | 'expire',
    note: string,
  ): Promise<Topup> {
    if (caller.role !== 'support' && caller.role !== 'admin') {
      throw new AppError('FORBIDDEN', 'Only support or an admin settles top-ups from operations');
    }
    const topup = await this.visible(caller, id);
    if (finalTopupStatuses.includes(topup.status)) {
      throw new AppError('CONFLICT', `This top-up is already ${topup.status}`);
    }
    if (action !== 'expire' && topup.method !== 'bank_transfer') {
      throw new AppError(
        'CONFLICT',
        'Gateway top-ups are settled by the payment gateway; an unpaid one can be expired',
      );
    }
    if (action === 'approve' && (await this.users.visible(caller, topup.userId)).status !== 'active') {
      throw new AppError('USER_SUSPENDED', 'The requesting user is suspended');
    }
    return this.updateWorkflow(topup, (h) =>
      action === 'expire'
        ? h.executeUpdate(expireTopupUpdate, { args: [{ by: caller.id, note }] })
        : h.executeUpdate(decideTopupUpdate, {
            args: [{ decision: action, by: caller.id, fundedBy: 'platform', note }],
          }),
    );
  }

  /** Sends an update to the top-up's workflow; a workflow already gone means the top-up is settled. */
  private async updateWorkflow(topup: Topup, send: (h: WorkflowHandle) => Promise<unknown>): Promise<Topup> {
    try {
      await send(this.temporal.workflow.getHandle(topup.workflowId));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const now = await this.store.get(topup.id);
        throw new AppError('CONFLICT', `This top-up is already ${now?.status ?? 'closed'}`);
      }
      throw err;
    }
    return (await this.store.get(topup.id))!;
  }

  async list(caller: Caller, q: { status?: TopupStatus; limit: number; afterId?: string }) {
    const everyone = caller.role === 'admin' || caller.role === 'support';
    return this.store.list({ ...q, pathPrefix: everyone ? undefined : caller.path });
  }

  /**
   * A gateway webhook, already signature-checked. Forwarded to the top-up's workflow as a
   * signal; duplicates and webhooks for settled top-ups are acknowledged and change nothing.
   */
  async gatewayWebhook(e: GatewayPaymentEvent): Promise<'forwarded' | 'already_settled'> {
    const topup = await this.store.byOrderId(e.orderId);
    if (!topup) throw notFound('Order');
    if (finalTopupStatuses.includes(topup.status)) return 'already_settled';
    try {
      await this.temporal.workflow.getHandle(topup.workflowId).signal(gatewayPaymentSignal, e);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'already_settled';
      throw err;
    }
    return 'forwarded';
  }
}
