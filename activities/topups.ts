import { ApplicationFailure } from '@temporalio/activity';
import { systemAccounts, walletAccountId, type Ledger } from '../src/ledger';
import type { GatewayClient, GatewayOrder } from '../src/topups/gateway-client';
import { GatewayRejected } from '../src/topups/gateway-client';
import type { TopupStore } from '../src/topups/store';
import type { TopupStatus } from '../src/topups/types';
import { asActivityFailure } from './failures';

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

export function createTopupActivities({ ledger, topups, gateway }: TopupDeps) {
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
        await ledger.createTransfer({
          id: `topup:${input.topupId}`,
          debitAccountId:
            input.source === 'platform' ? systemAccounts.platformFloat : walletAccountId(input.source.userId),
          creditAccountId: walletAccountId(input.userId),
          amount: BigInt(input.amountPaise),
          kind: input.source === 'platform' ? 'topup' : 'topup_by_upline',
          reference: `topup:${input.topupId}`,
          metadata: input.decidedBy ? { decidedBy: input.decidedBy } : {},
        });
      } catch (err) {
        throw asActivityFailure(err);
      }
      await topups.finish(input.topupId, 'completed', { decidedBy: input.decidedBy, note: input.note });
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
