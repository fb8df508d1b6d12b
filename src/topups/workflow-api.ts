import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
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
}

export interface TopupDecision {
  decision: 'approve' | 'reject';
  by: string;
  /** Admin approval credits from the platform float; an upline's debits its own wallet. */
  fundedBy: 'platform' | 'approver';
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
