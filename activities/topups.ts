import { ApplicationFailure, log } from '@temporalio/activity';
import { systemAccounts, walletAccountId, type Ledger } from '../src/ledger';
import type { GatewayClient, GatewayOrder } from '../src/topups/gateway-client';
import { GatewayRejected } from '../src/topups/gateway-client';
import type { TopupStore } from '../src/topups/store';
import { openTopupStatuses, type GatewayPaymentSettlement, type TopupStatus } from '../src/topups/types';
import type { GatewayPaymentEvent } from '../src/topups/workflow-api';
import { asActivityFailure } from './failures';
import { creditCollectingDues } from '../src/wallets/dues';

export interface TopupDeps {
  ledger: Ledger;
  topups: TopupStore;
  gateway: GatewayClient;
}

export interface CreditTopupInput {
  topupId: string;
  userId: string;
  amountPaise: string;
  /** 'platform' or the approving upline's user id. */
  source: 'platform' | { userId: string };
  decidedBy: string | null;
  note?: string;
}

export interface SettleGatewayPaymentInput {
  topupId: string;
  userId: string;
  /** The order's amount. */
  amountPaise: string;
  payment: GatewayPaymentEvent;
  /** The top-up's status when the payment is settled: open, or closed (a late payment). */
  statusBefore: TopupStatus;
}

const topupTransferId = (topupId: string) => `topup:${topupId}`;

export function createTopupActivities({ ledger, topups, gateway }: TopupDeps) {
  /** Why a payment's credit collided with the top-up's existing one: another payment made it. */
  async function alreadyCreditedBy(topupId: string): Promise<string> {
    const existing = await ledger.getTransfer(topupTransferId(topupId));
    const by = existing?.metadata.paymentId;
    return typeof by === 'string'
      ? `the top-up was already credited by payment ${by}`
      : 'the top-up was already credited (before payment ids were recorded: check whether this is a second capture)';
  }

  return {
    async createGatewayOrder(input: { topupId: string; amountPaise: string }): Promise<GatewayOrder> {
      try {
        const order = await gateway.createOrder({ amount: BigInt(input.amountPaise), reference: input.topupId });
        await topups.setOrder(input.topupId, order.orderId, order.paymentUrl);
        return order;
      } catch (err) {
        if (err instanceof GatewayRejected) throw ApplicationFailure.nonRetryable(err.message, 'GATEWAY_REJECTED');
        throw err;
      }
    },

    /** Credits the wallet once (the transfer id is the top-up's) and marks the top-up completed. */
    async creditTopup(input: CreditTopupInput): Promise<void> {
      try {
        await creditCollectingDues(ledger, {
          id: topupTransferId(input.topupId),
          debitAccountId:
            input.source === 'platform' ? systemAccounts.platformFloat : walletAccountId(input.source.userId),
          creditAccountId: walletAccountId(input.userId),
          amount: BigInt(input.amountPaise),
          kind: input.source === 'platform' ? 'topup' : 'topup_by_upline',
          reference: topupTransferId(input.topupId),
          metadata: input.decidedBy ? { decidedBy: input.decidedBy } : {},
        });
      } catch (err) {
        throw asActivityFailure(err);
      }
      await topups.finish(input.topupId, 'completed', { decidedBy: input.decidedBy, note: input.note });
    },

    /**
     * Settles one payment the gateway reported, once per payment id. Captured money is never
     * dropped: a success is credited to the wallet from the platform float (one ledger transfer per
     * top-up, so at most one payment credits it, whenever it arrives), or, when policy says the
     * wallet must not get it, recorded as a refund due at the gateway (the workflow alerts
     * operations). Refund policy: the amount differs from the order's, the top-up was already
     * credited by another payment, or the ledger refuses the credit (e.g. the wallet's KYC cap).
     */
    async settleGatewayPayment(input: SettleGatewayPaymentInput): Promise<GatewayPaymentSettlement> {
      const { payment } = input;
      const recorded = await topups.recordPayment({
        paymentId: payment.paymentId,
        topupId: input.topupId,
        orderId: payment.orderId,
        outcome: payment.outcome,
        amount: BigInt(payment.amountPaise),
      });
      if (recorded.action !== null) return { action: recorded.action, detail: recorded.detail };
      const open = openTopupStatuses.includes(input.statusBefore);
      if (payment.outcome === 'failure') {
        const settlement = { action: 'none', detail: 'payment failed at the gateway' } as const;
        await topups.settlePayment(
          input.topupId,
          payment.paymentId,
          settlement,
          open ? { kind: 'failed', failureReason: settlement.detail } : { kind: 'none' },
        );
        return settlement;
      }

      let refusal: string | null =
        payment.amountPaise === input.amountPaise ? null : 'paid amount differs from the order amount';
      if (refusal === null) {
        try {
          await creditCollectingDues(ledger, {
            id: topupTransferId(input.topupId),
            debitAccountId: systemAccounts.platformFloat,
            creditAccountId: walletAccountId(input.userId),
            amount: BigInt(input.amountPaise),
            kind: 'topup',
            reference: topupTransferId(input.topupId),
            metadata: { orderId: payment.orderId, paymentId: payment.paymentId },
          });
        } catch (err) {
          const final = asActivityFailure(err);
          if (!(final instanceof ApplicationFailure)) throw err;
          refusal =
            final.type === 'IDEMPOTENCY_CONFLICT'
              ? await alreadyCreditedBy(input.topupId)
              : `paid, but the wallet could not be credited (${final.type})`;
        }
      }

      if (refusal === null) {
        const settlement = { action: 'credited', detail: open ? null : 'credited late' } as const;
        await topups.settlePayment(input.topupId, payment.paymentId, settlement, {
          kind: 'completed',
          note: open
            ? null
            : `credited late: payment ${payment.paymentId} was captured after the top-up had ${input.statusBefore}`,
        });
        return settlement;
      }
      const settlement = { action: 'refund_due', detail: `${refusal}; refund at the gateway` } as const;
      await topups.settlePayment(
        input.topupId,
        payment.paymentId,
        settlement,
        open
          ? { kind: 'failed', failureReason: settlement.detail }
          : {
              kind: 'noted',
              note: `payment ${payment.paymentId} of ${payment.amountPaise} paise captured after the top-up had ${input.statusBefore}: ${settlement.detail}`,
            },
      );
      log.error('gateway payment captured but not credited: refund due at the gateway', {
        topupId: input.topupId,
        orderId: payment.orderId,
        paymentId: payment.paymentId,
        amountPaise: payment.amountPaise,
        reason: refusal,
      });
      return settlement;
    },

    async finishTopup(input: {
      topupId: string;
      status: Exclude<TopupStatus, 'completed'>;
      decidedBy?: string;
      note?: string;
      failureReason?: string;
    }): Promise<void> {
      await topups.finish(input.topupId, input.status, input);
    },
  };
}
