export type TopupMethod = 'bank_transfer' | 'gateway';
export type TopupStatus = 'pending_approval' | 'awaiting_payment' | 'completed' | 'rejected' | 'expired' | 'failed';
export const finalTopupStatuses: readonly TopupStatus[] = ['completed', 'rejected', 'expired', 'failed'];
export const openTopupStatuses: readonly TopupStatus[] = ['pending_approval', 'awaiting_payment'];

export interface Topup {
  id: string;
  userId: string;
  amount: bigint;
  method: TopupMethod;
  status: TopupStatus;
  utr: string | null;
  /** A claim of a UTR made before UTRs were unique platform-wide: the top-up that claimed it first. */
  utrDuplicateOf: string | null;
  orderId: string | null;
  paymentUrl: string | null;
  workflowId: string;
  decidedBy: string | null;
  note: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What was done with a payment the gateway reported (topup_gateway_payments). */
export type GatewayPaymentAction = 'credited' | 'refund_due' | 'none';

export interface GatewayPaymentSettlement {
  action: GatewayPaymentAction;
  detail: string | null;
}

/** The top-up's workflow id derives from its id, so support finds it in the Temporal UI. */
export function topupWorkflowId(topupId: string): string {
  return `topup-${topupId}`;
}
