import { isUniqueViolation } from '../db/errors';
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Config } from '../config';
import { AppError, notFound } from '../errors';
import type { RiskEngine } from '../risk/service';
import { searchAttributes } from '../temporal/search-attributes';
import type { UserService } from '../users/service';
import type { Caller, User } from '../users/types';
import { approvalSource, assertMayDecide, assertStuck, type ApprovalParties, type FundingSource } from './approval';
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
    private readonly risk: Pick<RiskEngine, 'assertAllowed'>,
  ) {}

  /** The same caller and Idempotency-Key always name the same top-up (and so the same workflow). */
  static topupId(callerId: string, idempotencyKey: string): string {
    return `tpu_${createHash('sha256').update(`${callerId}\n${idempotencyKey}`).digest('hex').slice(0, 26)}`;
  }

  async create(caller: Caller, req: NewTopup, idempotencyKey: string): Promise<Topup> {
    const id = TopupService.topupId(caller.id, idempotencyKey);
    const bank = req.method === 'bank_transfer';
    await this.risk.assertAllowed({
      kind: 'topup_request',
      subjectId: id,
      userId: caller.id,
      role: caller.role,
      amount: req.amount,
    });
    let topup: Topup;
    try {
      topup = await this.store.insert({
        id,
        userId: caller.id,
        amount: req.amount,
        method: req.method,
        status: bank ? 'pending_approval' : 'awaiting_payment',
        utr: bank ? req.utr : null,
        workflowId: topupWorkflowId(id),
      });
    } catch (err) {
      if (isUniqueViolation(err, 'topups_utr_key')) {
        throw new AppError('CONFLICT', 'This UTR has already been claimed in another top-up request');
      }
      throw err;
    }
    // The stored row is the request, whatever happened to earlier attempts under this key (a 5xx
    // keeps no answer to replay): another body is refused, and the workflow starts from the row.
    if (topup.method !== req.method || topup.amount !== req.amount || topup.utr !== (bank ? req.utr : null)) {
      throw new AppError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different request body');
    }
    let handle: WorkflowHandle;
    try {
      handle = await this.temporal.workflow.start('topupWorkflow', {
        workflowId: topup.workflowId,
        taskQueue: this.config.temporal.taskQueue,
        args: [this.workflowInput(topup)],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A retry after the workflow has finished must not start the request over.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: this.searchAttributesOf(topup),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return (await this.store.get(id))!;
      throw err;
    }
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

  /** The workflow's input, always from the stored request. */
  private workflowInput(t: Topup, closedAs?: TopupStatus): TopupWorkflowInput {
    return {
      topupId: t.id,
      userId: t.userId,
      amountPaise: t.amount.toString(),
      method: t.method,
      approvalTtlSeconds: this.config.topups.approvalTtlSeconds,
      paymentTtlSeconds: this.config.topups.paymentTtlSeconds,
      alertEmail: this.config.notify.opsAlertEmail,
      ...(closedAs === undefined ? {} : { closedAs }),
    };
  }

  private searchAttributesOf(t: Topup) {
    return [
      { key: searchAttributes.userId, value: t.userId },
      { key: searchAttributes.topupStatus, value: t.status },
      { key: searchAttributes.amountPaise, value: Number(t.amount) },
    ];
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
    assertMayDecide({ requester, approver: caller });
    if (caller.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
    if (decision === 'approve' && requester.status !== 'active') {
      throw new AppError('USER_SUSPENDED', 'The requesting user is suspended');
    }
    this.assertDecidable(topup, decision);
    const source = decision === 'approve' ? await this.fundingOf(caller, requester, 'decision') : undefined;
    if (decision === 'approve') await this.screenApproval(topup, requester);
    return this.updateWorkflow(topup, (h) =>
      h.executeUpdate(decideTopupUpdate, { args: [{ decision, by: caller.id, source, note }] }),
    );
  }

  /**
   * Operations settle a stuck request (src/ops, which records the audit trail): support or an
   * admin rejects or expires it, or approves one its upline has left undecided for
   * OPS_STUCK_TOPUP_AFTER_SECONDS, on that upline's behalf and from its money (the float only when
   * the upline is the admin); a gateway order that was never paid can only be expired.
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
    if (action !== 'approve') {
      return this.updateWorkflow(topup, (h) =>
        action === 'expire'
          ? h.executeUpdate(expireTopupUpdate, { args: [{ by: caller.id, note }] })
          : h.executeUpdate(decideTopupUpdate, { args: [{ decision: 'reject', by: caller.id, note }] }),
      );
    }
    const requester = await this.users.visible(caller, topup.userId);
    const source = await this.fundingOf(caller, requester, 'operations');
    assertStuck(topup.createdAt, new Date(), this.config.ops.stuckTopupAfterSeconds);
    if (requester.status !== 'active') throw new AppError('USER_SUSPENDED', 'The requesting user is suspended');
    this.assertDecidable(topup, 'approve');
    await this.screenApproval(topup, requester);
    return this.updateWorkflow(topup, (h) =>
      h.executeUpdate(decideTopupUpdate, { args: [{ decision: 'approve', by: caller.id, source, note }] }),
    );
  }

  /** The risk rules on the credit an approval makes to the requester (src/risk). */
  private screenApproval(topup: Topup, requester: User): Promise<void> {
    return this.risk.assertAllowed({
      kind: 'topup_approval',
      subjectId: topup.id,
      userId: requester.id,
      role: requester.role,
      amount: topup.amount,
    });
  }

  /** Whose money an approval by `caller` moves (src/topups/approval.ts); refusals are thrown. */
  private async fundingOf(caller: Caller, requester: User, via: 'decision' | 'operations'): Promise<FundingSource> {
    const addressee: ApprovalParties['addressee'] = requester.parentId
      ? await this.users.visible(caller, requester.parentId)
      : null;
    return approvalSource({ requester, addressee, approver: caller }, via);
  }

  /** A bank-transfer request still open; for an approval, one whose UTR nobody claimed before it. */
  private assertDecidable(topup: Topup, decision: 'approve' | 'reject'): void {
    if (topup.method !== 'bank_transfer') {
      throw new AppError('CONFLICT', 'Gateway top-ups are settled by the payment gateway');
    }
    if (finalTopupStatuses.includes(topup.status)) {
      throw new AppError('CONFLICT', `This top-up is already ${topup.status}`);
    }
    if (decision === 'approve' && topup.utrDuplicateOf) {
      throw new AppError('CONFLICT', `This UTR was claimed first by top-up ${topup.utrDuplicateOf}`);
    }
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
   * A gateway webhook, already signature-checked. A payment already settled (a resent webhook),
   * or a failure reported for a top-up that has ended, is acknowledged and changes nothing.
   * Anything else goes to the top-up's workflow: as a signal while it runs, or, once it has closed,
   * by starting it again to settle the payment, since money the gateway captured is never dropped.
   */
  async gatewayWebhook(e: GatewayPaymentEvent): Promise<'forwarded' | 'already_settled'> {
    const topup = await this.store.byOrderId(e.orderId);
    if (!topup) throw notFound('Order');
    if ((await this.store.payment(e.paymentId))?.action) return 'already_settled';
    if (e.outcome === 'failure' && finalTopupStatuses.includes(topup.status)) return 'already_settled';
    await this.temporal.workflow.signalWithStart('topupWorkflow', {
      workflowId: topup.workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [this.workflowInput(topup, topup.status)],
      signal: gatewayPaymentSignal,
      signalArgs: [e],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: this.searchAttributesOf(topup),
    });
    return 'forwarded';
  }
}
