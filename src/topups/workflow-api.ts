import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FundingSource } from './approval';
import type { TopupMethod, TopupStatus } from './types';

/** The top-up workflow's interface, shared by the workflow and its clients (API, ops). */
export interface TopupWorkflowInput {
  topupId: string;
  userId: string;
  /** Integer paise as a decimal string: workflow payloads are JSON, which has no bigint. */
  amountPaise: string;
  method: TopupMethod;
  approvalTtlSeconds: number;
  paymentTtlSeconds: number;
  /** Where a gateway payment that has to be refunded is reported (OPS_ALERT_EMAIL). */
  alertEmail?: string;
  /**
   * Set when a gateway payment arrives for a top-up whose workflow has closed: the webhook starts
   * a new run (signal-with-start) in the status the top-up closed with, which only settles it.
   */
  closedAs?: TopupStatus;
}

export interface TopupDecision {
  decision: 'approve' | 'reject';
  by: string;
  /** Who pays for an approval (src/topups/approval.ts): the platform float or a wallet. */
  source?: FundingSource;
  /** What API servers sent before `source`: 'platform', or the approver's own wallet. */
  fundedBy?: 'platform' | 'approver';
  note?: string;
}

/** Operations close a request nobody will settle (src/ops): it ends as expired. */
export interface TopupExpiry {
  by: string;
  note: string;
}

export interface GatewayPaymentEvent {
  orderId: string;
  paymentId: string;
  outcome: 'success' | 'failure';
  amountPaise: string;
}

export interface TopupState {
  status: TopupStatus;
  paymentUrl: string | null;
  failureReason: string | null;
}

export const decideTopupUpdate = defineUpdate<TopupState, [TopupDecision]>('decide');
export const expireTopupUpdate = defineUpdate<TopupState, [TopupExpiry]>('expire');
export const paymentLinkUpdate = defineUpdate<TopupState, []>('paymentLink');
export const gatewayPaymentSignal = defineSignal<[GatewayPaymentEvent]>('gatewayPayment');
export const topupStateQuery = defineQuery<TopupState>('state');
