import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Config } from '../config';
import { AppError, notFound } from '../errors';
import type { Logger } from '../logger';
import type { ProviderResult } from '../providers/recharge/types';
import { searchAttributes } from '../temporal/search-attributes';
import type { UserService } from '../users/service';
import type { Caller } from '../users/types';
import type { OperatorLookup } from '../catalog/lookup';
import { ruleOfRefusal } from '../risk/rules';
import { checkAgainstOperator } from './operators';
import { finalRechargeStatuses, type RechargeStore } from './store';
import type { rechargeWorkflow } from '../../workflows/recharge';
import type { reversalWorkflow } from '../../workflows/reversal';
import { isRefusal, rechargeId, rechargeWorkflowId, type Recharge, type RechargeStatus } from './types';
import {
  checkNowSignal,
  outcomeUpdate,
  providerUpdateSignal,
  resolveSignal,
  reversalRequestSignal,
  reversalWorkflowId,
  type RechargePolicy,
  type RechargeState,
  type RechargeWorkflowInput,
  type Resolution,
  type ReversalRequest,
} from './workflow-api';

export interface NewRecharge {
  /** Absent for a prepaid number: the operator lookup decides. */
  operator?: string;
  subscriber: string;
  amount: bigint;
  circle?: string;
}

/** How long a request waits for screening (per wait; twice at most) before answering 503. */
const SCREENING_WAIT_MS = 15_000;

declare const validated: unique symbol;
/** A request that passed validate(): only such a request starts a recharge. */
export type ValidRecharge = NewRecharge & { operator: string; readonly [validated]: true };

const openStatuses: readonly RechargeStatus[] = ['received', 'processing', 'pending', 'manual_review'];

/** Recharges over the API: requests start workflows; callbacks, disputes and resolutions go to them. */
export class RechargeService {
  constructor(
    private readonly config: Config,
    private readonly temporal: Client,
    private readonly store: RechargeStore,
    private readonly users: UserService,
    private readonly log: Logger,
    private readonly lookup?: Pick<OperatorLookup, 'lookup'>,
  ) {}

  private policy(): RechargePolicy {
    return {
      maxPendingSeconds: this.config.recharges.maxPendingSeconds,
      pollScheduleSeconds: this.config.recharges.pollScheduleSeconds,
    };
  }

  /** The static rules (role, operator, amount, subscriber): a request that can never succeed starts nothing. */
  async validate(caller: Caller, req: NewRecharge): Promise<ValidRecharge> {
    if (caller.role === 'support' || caller.role === 'admin') {
      throw new AppError('FORBIDDEN', 'Recharges are made from a retailer or distributor wallet');
    }
    let { operator, circle } = req;
    if (operator === undefined) {
      const found = await this.lookup?.lookup(req.subscriber);
      if (!found) throw new AppError('UNKNOWN_OPERATOR', 'No operator is known for this number: give operator');
      operator = found.operator;
      circle ??= found.circle ?? undefined;
    }
    const check = checkAgainstOperator(await this.store.operator(operator, circle), req);
    if (!check.ok) throw new AppError(check.code, check.message);
    return { ...req, operator, ...(circle === undefined ? {} : { circle }) } as ValidRecharge;
  }

  /**
   * Starts the recharge (or finds the one this caller already started with this key) and returns
   * once it is screened and its amount held, or at a final status when `waitMs` allows. The
   * workflow decides everything that depends on the moment (the user active, duplicates, KYC,
   * funds) and answers a refusal in the update's result, which becomes the caller's error.
   */
  async create(caller: Caller, req: ValidRecharge, idempotencyKey: string, waitMs: number): Promise<Recharge> {
    const user = await this.users.visible(caller, caller.id);
    const id = rechargeId(caller.id, idempotencyKey);
    const workflowId = rechargeWorkflowId(caller.id, idempotencyKey);
    const input: RechargeWorkflowInput = {
      rechargeId: id,
      userId: caller.id,
      operator: req.operator,
      subscriber: req.subscriber,
      circle: req.circle ?? null,
      amountPaise: req.amount.toString(),
      policy: this.policy(),
      notify: { mobile: user.mobile, email: user.email },
    };
    const start = new WithStartWorkflowOperation<typeof rechargeWorkflow>('rechargeWorkflow', {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: searchAttributes.userId, value: caller.id },
        { key: searchAttributes.operator, value: req.operator },
        { key: searchAttributes.rechargeStatus, value: 'received' },
        { key: searchAttributes.amountPaise, value: Number(req.amount) },
      ],
    });
    let state: RechargeState | undefined;
    try {
      const update = await this.temporal.workflow.startUpdateWithStart(outcomeUpdate, {
        startWorkflowOperation: start,
        args: [{ untilFinal: waitMs > 0 }],
        waitForStage: 'ACCEPTED',
      });
      state =
        (await resultWithin(update.result(), waitMs > 0 ? waitMs : SCREENING_WAIT_MS)) ??
        (await this.screening(workflowId));
    } catch (err) {
      // The workflow for this key has already finished: the projection has its answer.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const recharge = await this.store.get(id);
    if (!recharge) throw new AppError('UNAVAILABLE', 'The recharge was accepted but is not readable yet; retry');
    const refusal =
      state?.rejection ??
      (recharge.status === 'failed' && isRefusal(recharge.failureCode)
        ? {
            code: recharge.failureCode,
            message: recharge.failureReason ?? recharge.failureCode,
            rule: ruleOfRefusal(recharge.failureReason),
          }
        : null);
    if (refusal) throw new AppError(refusal.code, refusal.message, refusal.rule ? { rule: refusal.rule } : undefined);
    return recharge;
  }

  /**
   * The screening answer of a running recharge (at once when screened); undefined once it has
   * closed. A screening that does not finish in time (its step failing and retrying) is a 503: the
   * client retries with the same key and finds the same recharge.
   */
  private async screening(workflowId: string): Promise<RechargeState | undefined> {
    try {
      const answer = await resultWithin(
        this.temporal.workflow.getHandle(workflowId).executeUpdate(outcomeUpdate, { args: [{ untilFinal: false }] }),
        SCREENING_WAIT_MS,
      );
      if (!answer) {
        throw new AppError(
          'UNAVAILABLE',
          'The recharge is accepted but not screened yet; retry with the same Idempotency-Key',
        );
      }
      return answer;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async visible(caller: Caller, id: string): Promise<Recharge> {
    const recharge = await this.store.get(id);
    if (!recharge) throw notFound('Recharge');
    try {
      await this.users.visible(caller, recharge.userId);
    } catch {
      throw notFound('Recharge');
    }
    return recharge;
  }

  /** `clientRef` (an Idempotency-Key the caller sent) narrows the list to the recharge the caller started with it. */
  async list(
    caller: Caller,
    q: {
      status?: RechargeStatus;
      userId?: string;
      subscriber?: string;
      from?: Date;
      to?: Date;
      afterId?: string;
      limit: number;
      clientRef?: string;
    },
  ) {
    if (q.userId) await this.users.visible(caller, q.userId);
    const everyone = caller.role === 'admin' || caller.role === 'support';
    const { clientRef, ...filter } = q;
    return this.store.list({
      ...filter,
      ...(clientRef === undefined ? {} : { id: rechargeId(caller.id, clientRef) }),
      pathPrefix: everyone ? undefined : caller.path,
    });
  }

  /**
   * A dispute: on a success, the reversal workflow asks the provider and refunds if the recharge
   * in fact failed; on a recharge still waiting, the recharge workflow asks the provider now.
   */
  async dispute(caller: Caller, id: string, reason: string): Promise<Recharge> {
    const recharge = await this.visible(caller, id);
    if (caller.role === 'support')
      throw new AppError('FORBIDDEN', 'Support resolves recharges; it does not dispute them');
    if (recharge.status === 'success') {
      await this.requestReversal(
        { rechargeId: id, provider: recharge.provider!, trigger: 'dispute', reason, by: caller.id },
        recharge,
      );
    } else if (openStatuses.includes(recharge.status)) {
      await this.signalOpen(recharge, (h) => h.signal(checkNowSignal));
    } else {
      throw new AppError('CONFLICT', `This recharge is already ${recharge.status}; its amount is back in the wallet`);
    }
    await this.store.note(id, recharge.status, `disputed by ${caller.id}: ${reason}`);
    return (await this.store.get(id))!;
  }

  /** Support settles a stuck recharge by hand; the money follows the resolution. */
  async resolve(caller: Caller, id: string, r: Omit<Resolution, 'by'>): Promise<Recharge> {
    if (caller.role !== 'support' && caller.role !== 'admin') {
      throw new AppError('FORBIDDEN', 'Only support or an admin resolves recharges');
    }
    const recharge = await this.visible(caller, id);
    if (!openStatuses.includes(recharge.status) || recharge.status === 'received') {
      throw new AppError(
        'CONFLICT',
        `This recharge is ${recharge.status}; only pending or stuck recharges are resolved`,
      );
    }
    const handle = this.temporal.workflow.getHandle(recharge.workflowId);
    await this.signalOpen(recharge, (h) => h.signal(resolveSignal, { ...r, by: caller.id }));
    try {
      const update = await handle.startUpdate(outcomeUpdate, {
        args: [{ untilFinal: true }],
        waitForStage: 'ACCEPTED',
      });
      await resultWithin(update.result(), 10_000);
    } catch (err) {
      // The workflow can settle and close before the wait for its outcome is admitted: then
      // Temporal no longer knows the update, and the projection has the answer.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const after = await this.store.get(id);
      if (!after || !finalRechargeStatuses.includes(after.status)) throw err;
    }
    return (await this.store.get(id))!;
  }

  /**
   * A provider callback, already verified and parsed. Only the provider holding the recharge is
   * heard. While the recharge workflow runs, it gets every final answer and acts on each in
   * order; once it has closed, a reversal of a success goes to the reversal workflow (which
   * confirms it with the provider before any money moves) and a late success is flagged.
   */
  async providerCallback(provider: string, clientRef: string, result: ProviderResult): Promise<string> {
    const recharge = await this.store.get(clientRef);
    if (!recharge) throw notFound('Recharge');
    if (recharge.provider !== provider) {
      this.log.warn(
        { rechargeId: clientRef, provider, holder: recharge.provider },
        'callback from a provider that does not hold the recharge',
      );
      return 'ignored';
    }
    const final = result.status === 'success' || result.status === 'failed' || result.status === 'reversed';
    if (!final) return 'ignored';
    try {
      await this.temporal.workflow.getHandle(recharge.workflowId).signal(providerUpdateSignal, { provider, result });
      return 'forwarded';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const now = (await this.store.get(clientRef))!;
    if (now.status === 'success' && (result.status === 'reversed' || result.status === 'failed')) {
      await this.requestReversal(
        { rechargeId: clientRef, provider, trigger: 'provider', reason: result.message ?? result.status, by: provider },
        now,
      );
      return 'reversal_requested';
    }
    if (now.status === 'failed' && result.status === 'success') {
      // The subscriber got the recharge after we refunded: money is out of step with the
      // operator and a person must look.
      this.log.error({ rechargeId: clientRef, provider }, 'late success callback for a failed recharge');
      await this.store.note(clientRef, 'failed', `late success callback from ${provider}: needs review`);
      return 'flagged';
    }
    return 'ignored';
  }

  /**
   * Sends a reversal request to the recharge's reversal workflow, starting a new run when none is
   * running: a request never waits on, nor is swallowed by, an earlier one that was not upheld.
   */
  private async requestReversal(request: ReversalRequest, recharge: Recharge): Promise<void> {
    await this.temporal.workflow.signalWithStart<typeof reversalWorkflow, [ReversalRequest]>('reversalWorkflow', {
      workflowId: reversalWorkflowId(request.rechargeId),
      taskQueue: this.config.temporal.taskQueue,
      args: [request],
      signal: reversalRequestSignal,
      signalArgs: [request],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: searchAttributes.rechargeStatus, value: 'reversing' },
        { key: searchAttributes.userId, value: recharge.userId },
        { key: searchAttributes.operator, value: recharge.operator },
        { key: searchAttributes.provider, value: request.provider },
        { key: searchAttributes.amountPaise, value: Number(recharge.amount) },
      ],
    });
  }

  /** Signals the recharge's workflow; one that has already closed is a conflict, not an error. */
  private async signalOpen(recharge: Recharge, send: (h: WorkflowHandle) => Promise<void>): Promise<void> {
    try {
      await send(this.temporal.workflow.getHandle(recharge.workflowId));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const now = (await this.store.get(recharge.id))!;
      throw new AppError('CONFLICT', `This recharge is ${now.status} and its workflow has finished; nothing to change`);
    }
  }
}

/** What `p` resolves to within `ms` (0: however long it takes), or undefined if it takes longer. */
async function resultWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return p;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
