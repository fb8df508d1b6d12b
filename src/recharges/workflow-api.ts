import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProviderResult } from '../providers/recharge/types';
import type { RechargeStatus } from './types';

/** The recharge workflow's interface, shared by the workflow and its clients (API, ops CLI). */
export interface RechargePolicy {
  /** How long a pending recharge waits for the operator before manual review. */
  maxPendingSeconds: number;
  /** Status polls while pending, seconds after the previous one (the last repeats). */
  pollScheduleSeconds: number[];
}

export interface RechargeWorkflowInput {
  rechargeId: string;
  userId: string;
  operator: string;
  subscriber: string;
  circle: string | null;
  /** Integer paise as a decimal string: workflow payloads are JSON, which has no bigint. */
  amountPaise: string;
  policy: RechargePolicy;
  /** Where to tell the user the outcome. */
  notify: { mobile: string | null; email: string | null };
}

export interface RechargeState {
  rechargeId: string;
  status: RechargeStatus;
  provider: string | null;
  operatorRef: string | null;
  failureReason: string | null;
  /** Set when screening refused the recharge: the contract error code. */
  rejection: { code: string; message: string } | null;
}

export interface ProviderUpdate {
  provider: string;
  result: ProviderResult;
}

export interface Resolution {
  outcome: 'success' | 'failed';
  operatorRef?: string;
  note: string;
  by: string;
}

/**
 * Resolves once screening and the hold are done (or the request was refused), or with
 * `untilFinal` at a final status. How long to wait is the caller's business: it stops listening
 * (the update then completes harmlessly later), which costs the workflow no timer events.
 */
export const outcomeUpdate = defineUpdate<RechargeState, [{ untilFinal: boolean }]>('outcome');
export const providerUpdateSignal = defineSignal<[ProviderUpdate]>('providerUpdate');
export const resolveSignal = defineSignal<[Resolution]>('resolve');
/** Ask for a status check now (e.g. a dispute on a pending recharge). */
export const checkNowSignal = defineSignal<[]>('checkNow');
export const rechargeStateQuery = defineQuery<RechargeState>('status');

export interface ReversalWorkflowInput {
  rechargeId: string;
  /** The provider that fulfilled the recharge. */
  provider: string;
  trigger: 'provider' | 'dispute';
  reason: string;
  /** Who raised it: a user id, or the provider's name. */
  by: string;
}

export const reversalWorkflowId = (rechargeId: string) => `reversal-${rechargeId}`;
