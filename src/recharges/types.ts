import { createHash } from 'node:crypto';

export const rechargeStatuses = [
  'received',
  'processing',
  'pending',
  'success',
  'failed',
  'reversed',
  'manual_review',
] as const;
export type RechargeStatus = (typeof rechargeStatuses)[number];

/** Why screening refused a recharge: answered to the caller as the contract error of that code. */
export const refusalCodes = [
  'USER_SUSPENDED',
  'KYC_REQUIRED',
  'RISK_REJECTED',
  'INSUFFICIENT_FUNDS',
  'LIMIT_EXCEEDED',
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

/** Why a recharge ended failed: a refusal at screening, or what happened after its hold. */
export type RechargeFailureCode =
  | RefusalCode
  /** The provider failed it for a reason of the subscriber's (its own code is in the reason). */
  | 'PROVIDER_DECLINED'
  /** Every provider that could take it was down or refused it for reasons of its own. */
  | 'NO_PROVIDER'
  /** The provider's first final answer was a reversal. */
  | 'REVERSED'
  /** Support resolved it as failed. */
  | 'RESOLVED_FAILED';

export function isRefusal(code: string | null): code is RefusalCode {
  return (refusalCodes as readonly string[]).includes(code ?? '');
}

export interface TimelineEntry {
  at: Date;
  status: string;
  note: string | null;
}

export interface Recharge {
  id: string;
  userId: string;
  workflowId: string;
  operator: string;
  subscriber: string;
  circle: string | null;
  amount: bigint;
  status: RechargeStatus;
  provider: string | null;
  operatorRef: string | null;
  commission: bigint;
  /** A RechargeFailureCode; rows written before the codes were typed may hold a provider's own code. */
  failureCode: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  timeline: TimelineEntry[];
}

/** Workflow id per the contract: starting the same request twice finds the same workflow. */
export function rechargeWorkflowId(userId: string, idempotencyKey: string): string {
  return `recharge-${userId}-${idempotencyKey}`;
}

/**
 * The recharge id: derived from the same pair, short and URL-safe, because it is also the
 * provider's client reference and part of ledger transfer ids.
 */
export function rechargeId(userId: string, idempotencyKey: string): string {
  return `rch_${createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex').slice(0, 26)}`;
}

/** Ledger transfer ids of a recharge: one per leg, so every leg is posted at most once. */
export const rechargeTransferIds = {
  hold: (id: string) => `${id}:hold`,
  capture: (id: string) => `${id}:capture`,
  settle: (id: string) => `${id}:settle`,
  release: (id: string) => `${id}:release`,
  commission: (id: string, userId: string) => `${id}:commission:${userId}`,
  tds: (id: string, userId: string) => `${id}:tds:${userId}`,
  reversal: (transferId: string) => `${transferId}:reversal`,
  /** A commission taken back as a due of its earner, and the collection of that due. */
  clawback: (commissionId: string) => `${commissionId}:clawback`,
  clawbackCollection: (commissionId: string) => `${commissionId}:clawback:collect`,
};
