import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Config } from '../config';
import { AppError, notFound } from '../errors';
import type { PiiVault } from '../security/pii';
import { searchAttributes } from '../temporal/search-attributes';
import type { UserService } from '../users/service';
import type { Caller } from '../users/types';
import type { KycStore } from './store';
import { kycWorkflowId, type KycProfile } from './types';
import {
  panResultSignal,
  reKycSignal,
  requestAadhaarOtpUpdate,
  requestMobileOtpUpdate,
  submitPanUpdate,
  verifyAadhaarOtpUpdate,
  verifyMobileOtpUpdate,
  type KycWorkflowInput,
  type OtpSent,
  type OtpVerdict,
  type PanResult,
  type ProviderUnavailable,
} from './workflow-api';

function kycStartOptions(userId: string, taskQueue: string) {
  const input: KycWorkflowInput = { userId };
  return {
    workflowId: kycWorkflowId(userId),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: searchAttributes.userId, value: userId }],
  };
}

/**
 * The system's re-KYC trigger (suspicious activity, src/risk): a signal to the user's KYC
 * workflow, started if it is not running, as an admin's request is.
 */
export function reKycTrigger(temporal: Client, taskQueue: string) {
  return async (userId: string, reason: string): Promise<void> => {
    await temporal.workflow.signalWithStart('kycWorkflow', {
      ...kycStartOptions(userId, taskQueue),
      signal: reKycSignal,
      signalArgs: [{ by: 'system', reason }],
    });
  };
}

export interface KycView {
  userId: string;
  tier: KycProfile['tier'];
  status: KycProfile['status'];
  reason: string | null;
  reKycRequired: boolean;
  reKycDueAt: Date | null;
  aadhaarLast4: string | null;
  panLast4: string | null;
  updatedAt: Date;
}

/**
 * KYC over the API. Each step is an update of the user's KYC workflow, so its answer is
 * synchronous; the first mobile OTP request starts the workflow (update-with-start), and the PAN
 * verdict and re-KYC triggers are signals (with start). Aadhaar and PAN numbers are sealed
 * (encrypted, hashed) here, before they reach Temporal.
 */
export class KycService {
  constructor(
    private readonly config: Config,
    private readonly temporal: Client,
    private readonly store: KycStore,
    private readonly users: UserService,
    private readonly pii: PiiVault,
  ) {}

  private startOptions(userId: string) {
    return kycStartOptions(userId, this.config.temporal.taskQueue);
  }

  /** The first step (a mobile OTP request) starts the user's KYC workflow if it is not running yet. */
  private async firstStep<Ret, Args extends unknown[]>(
    userId: string,
    update: UpdateDefinition<Ret, Args>,
    ...args: Args
  ): Promise<Exclude<Ret, ProviderUnavailable>> {
    const answer = await this.temporal.workflow.executeUpdateWithStart(update, {
      args,
      startWorkflowOperation: new WithStartWorkflowOperation('kycWorkflow', {
        ...this.startOptions(userId),
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    return this.available(answer);
  }

  /**
   * Every later step goes to the running workflow without starting one: a user without a KYC
   * workflow has not begun, so the step is refused (409 `notBegun`, the workflow's own answer for a
   * user at the start) and the refusal leaves no workflow and no profile behind.
   */
  private async laterStep<Ret, Arg>(
    userId: string,
    notBegun: string,
    update: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
  ): Promise<Exclude<Ret, ProviderUnavailable>> {
    let answer: Ret;
    try {
      answer = await this.temporal.workflow.getHandle(kycWorkflowId(userId)).executeUpdate(update, { args: [arg] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new AppError('CONFLICT', notBegun);
      throw err;
    }
    return this.available(answer);
  }

  private available<Ret>(answer: Ret): Exclude<Ret, ProviderUnavailable> {
    if ((answer as { status?: string }).status === 'provider_unavailable') {
      const retryAfterSeconds = this.config.kyc.breaker.cooldownSeconds;
      throw new AppError('UNAVAILABLE', 'The KYC provider is unavailable; retry later', {
        status: 'provider_unavailable',
        retryAfterSeconds,
      });
    }
    return answer as Exclude<Ret, ProviderUnavailable>;
  }

  /** KYC is for wallet holders; the platform's admins and support staff have no caps to lift. */
  private subject(caller: Caller): string {
    if (caller.role === 'admin' || caller.role === 'support') {
      throw new AppError('FORBIDDEN', `A ${caller.role} user does not go through KYC`);
    }
    return caller.id;
  }

  requestMobileOtp(caller: Caller): Promise<OtpSent> {
    return this.firstStep(this.subject(caller), requestMobileOtpUpdate);
  }

  verifyMobileOtp(caller: Caller, otp: string): Promise<Exclude<OtpVerdict, ProviderUnavailable>> {
    return this.laterStep(
      this.subject(caller),
      'No mobile OTP is outstanding: request one first',
      verifyMobileOtpUpdate,
      { otp },
    );
  }

  async requestAadhaarOtp(caller: Caller, aadhaarNumber: string): Promise<OtpSent> {
    const userId = this.subject(caller);
    const aadhaar = this.pii.seal('aadhaar', aadhaarNumber);
    if (await this.store.verifiedElsewhere(userId, 'aadhaar', aadhaar.hash)) {
      throw new AppError('CONFLICT', 'This Aadhaar number is already verified for another user');
    }
    return this.laterStep(userId, 'Verify the mobile number first', requestAadhaarOtpUpdate, { aadhaar });
  }

  verifyAadhaarOtp(caller: Caller, otp: string): Promise<Exclude<OtpVerdict, ProviderUnavailable>> {
    return this.laterStep(
      this.subject(caller),
      'No Aadhaar OTP is outstanding: request one first',
      verifyAadhaarOtpUpdate,
      { otp },
    );
  }

  async submitPan(caller: Caller, panNumber: string, name: string): Promise<{ status: 'pan_pending' }> {
    const userId = this.subject(caller);
    const pan = this.pii.seal('pan', panNumber);
    if (await this.store.verifiedElsewhere(userId, 'pan', pan.hash)) {
      throw new AppError('CONFLICT', 'This PAN is already verified for another user');
    }
    return this.laterStep(userId, 'Verify the mobile number first', submitPanUpdate, { pan, name });
  }

  /** The cached state, for anyone who may see the user (404 otherwise). */
  async view(caller: Caller, userId: string): Promise<KycView> {
    const user = await this.users.visible(caller, userId);
    const p = await this.store.profile(user.id);
    return {
      userId: user.id,
      tier: p?.tier ?? user.kycTier,
      status: p?.status ?? 'not_started',
      reason: p?.reason ?? null,
      reKycRequired: p?.reKycRequired ?? false,
      reKycDueAt: p?.reKycDueAt ?? null,
      aadhaarLast4: p?.aadhaarLast4 ?? null,
      panLast4: p?.panLast4 ?? null,
      updatedAt: p?.updatedAt ?? user.updatedAt,
    };
  }

  /** Admin or support asks for re-KYC (e.g. after a risk rule fired); the request is recorded with its author. */
  async requireReKyc(caller: Caller, userId: string, reason: string): Promise<void> {
    const user = await this.users.visible(caller, userId);
    if (caller.role !== 'admin' && caller.role !== 'support') {
      throw new AppError('FORBIDDEN', 'Only admin or support can require re-KYC');
    }
    if (user.role === 'admin' || user.role === 'support') {
      throw new AppError('VALIDATION_FAILED', `A ${user.role} user does not go through KYC`);
    }
    await this.store.audit(user.id, 're_kyc_requested', caller.id, { reason });
    await this.temporal.workflow.signalWithStart('kycWorkflow', {
      ...this.startOptions(user.id),
      signal: reKycSignal,
      signalArgs: [{ by: caller.id, reason }],
    });
  }

  /** A signed PAN verdict from the provider, forwarded to the user's workflow; duplicates change nothing. */
  async panWebhook(result: PanResult): Promise<void> {
    const userId = await this.store.userIdByPanRequest(result.requestId);
    if (!userId) throw notFound('PAN request');
    await this.temporal.workflow.signalWithStart('kycWorkflow', {
      ...this.startOptions(userId),
      signal: panResultSignal,
      signalArgs: [result],
    });
  }
}
