import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProviderResult } from '../providers/recharge/types';
import type { RechargeStatus, RefusalCode } from './types';

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
  /** The provider's own id for the recharge, once it gave one: callbacks must carry the same. */
  providerTxnId?: string | null;
  /** Set when screening refused the recharge: the contract error the caller is answered with. */
  rejection: { code: RefusalCode; message: string; rule?: string } | null;
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

/** A request to undo a captured recharge: a provider's reversal, or a user's dispute. */
export interface ReversalRequest {
  rechargeId: string;
  /** The provider that holds the recharge: the one asked to confirm. */
  provider: string;
  trigger: 'provider' | 'dispute';
  reason: string;
  /** Who raised it: a user id, or the provider's name. */
  by: string;
}

/** The reversal workflow's input: the request it was started for. */
export type ReversalWorkflowInput = ReversalRequest;

/**
 * Every request, the first included, reaches the reversal workflow as this signal (sent with
 * signal-with-start), so a request made while one is being checked is queued, never lost.
 */
export const reversalRequestSignal = defineSignal<[ReversalRequest]>('reversalRequest');

export const reversalWorkflowId = (rechargeId: string) => `reversal-${rechargeId}`;
