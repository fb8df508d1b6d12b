import {
  duesAccountId,
  providerSettlementAccount,
  systemAccounts,
  walletAccountId,
  type SinglePhaseTransferInput,
  type Transfer,
  type TransferInput,
} from '../ledger';
import { dueCollection } from '../wallets/dues';
import { RECHARGE_CLEARING_ACCOUNT } from './accounts';
import type { CommissionLeg } from './commission';
import { rechargeTransferIds as ids } from './types';

/**
 * The ledger postings of a recharge, as pure functions of what is known: no database, no
 * Temporal. Every transfer id derives from the recharge id, so each leg is posted at most once
 * however often an activity runs (src/recharges/types.ts rechargeTransferIds).
 */

export const rechargeReference = (rechargeId: string) => `recharge:${rechargeId}`;

/** The hold: the amount leaves the wallet's available balance for the recharge clearing account. */
export function rechargeHold(rechargeId: string, userId: string, amount: bigint): TransferInput {
  return {
    id: ids.hold(rechargeId),
    pending: true,
    debitAccountId: walletAccountId(userId),
    creditAccountId: RECHARGE_CLEARING_ACCOUNT,
    amount,
    kind: 'recharge_hold',
    reference: rechargeReference(rechargeId),
  };
}

/** Failure: the hold is released, the wallet has its money back. */
export function rechargeRelease(rechargeId: string): TransferInput {
  return {
    id: ids.release(rechargeId),
    void: true,
    pendingId: ids.hold(rechargeId),
    kind: 'recharge_release',
    reference: rechargeReference(rechargeId),
  };
}

/**
 * Success, as one linked batch: the hold is captured, the clearing account pays the provider,
 * and every level of the chain earns its commission, TDS withheld into TDS payable. Legs of
 * `withheld` users (a wallet at its KYC cap) are left out.
 */
export function rechargeCapture(input: {
  rechargeId: string;
  amount: bigint;
  provider: string;
  legs: CommissionLeg[];
  withheld?: ReadonlySet<string>;
}): TransferInput[] {
  const { rechargeId: id, amount } = input;
  const reference = rechargeReference(id);
  const batch: TransferInput[] = [
    { id: ids.capture(id), post: true, pendingId: ids.hold(id), kind: 'recharge_capture', reference },
    {
      id: ids.settle(id),
      debitAccountId: RECHARGE_CLEARING_ACCOUNT,
      creditAccountId: providerSettlementAccount(input.provider),
      amount,
      kind: 'recharge_settle',
      reference,
    },
  ];
  for (const leg of input.legs) {
    if (input.withheld?.has(leg.userId)) continue;
    batch.push({
      id: ids.commission(id, leg.userId),
      debitAccountId: systemAccounts.commissionExpense,
      creditAccountId: walletAccountId(leg.userId),
      amount: leg.net,
      kind: 'commission',
      reference,
      metadata: { role: leg.role, gross: leg.gross.toString(), tds: leg.tds.toString() },
    });
    if (leg.tds > 0n) {
      batch.push({
        id: ids.tds(id, leg.userId),
        debitAccountId: systemAccounts.commissionExpense,
        creditAccountId: systemAccounts.tdsPayable,
        amount: leg.tds,
        kind: 'tds',
        reference,
      });
    }
  }
  return batch;
}

/** The user whose wallet a commission credited. */
function walletOwner(accountId: string): string {
  const prefix = walletAccountId('');
  if (!accountId.startsWith(prefix)) throw new Error(`${accountId} is not a wallet account`);
  return accountId.slice(prefix.length);
}

export interface RefundPlan {
  /**
   * One linked batch that depends on nobody's balance: the provider's settlement returns to
   * clearing, clearing refunds the wallet (exempt from its cap: caps limit loads, not refunds),
   * and the TDS withheld returns to commission expense.
   */
  refund: SinglePhaseTransferInput[];
  /**
   * One batch per commission: the commission becomes a due of its earner, at once collected
   * from its wallet as far as the wallet's available balance goes; the rest stays due.
   */
  clawbacks: Array<{ debtor: string; transfers: SinglePhaseTransferInput[] }>;
}

/**
 * The refund of a captured recharge, from its posted transfers. Reversals of its own earlier
 * postings (a refund already made) are skipped by id, so planning again after a partial run
 * yields the same transfers, which the ledger then finds already there.
 */
export function rechargeRefund(rechargeId: string, posted: Transfer[]): RefundPlan {
  const reference = rechargeReference(rechargeId);
  const byId = new Map(posted.map((t) => [t.id, t]));
  const capture = byId.get(ids.capture(rechargeId));
  const settle = byId.get(ids.settle(rechargeId));
  if (!capture || !settle) throw new Error(`recharge ${rechargeId} was never captured: nothing to refund`);
  const reverse = (t: Transfer, extra: Partial<SinglePhaseTransferInput> = {}): SinglePhaseTransferInput => ({
    id: ids.reversal(t.id),
    debitAccountId: t.creditAccountId,
    creditAccountId: t.debitAccountId,
    amount: t.amount,
    kind: `${t.kind}_reversal`,
    reference,
    reversalOf: t.id,
    ...extra,
  });
  const refund = [
    reverse(settle),
    reverse(capture, { exemptFromCap: true }),
    ...posted.filter((t) => t.kind === 'tds').map((t) => reverse(t)),
  ];
  const clawbacks = posted
    .filter((t) => t.kind === 'commission')
    .map((commission) => {
      const userId = walletOwner(commission.creditAccountId);
      const transfers: SinglePhaseTransferInput[] = [
        {
          id: ids.clawback(commission.id),
          debitAccountId: duesAccountId(userId),
          creditAccountId: commission.debitAccountId,
          amount: commission.amount,
          kind: 'commission_clawback',
          reference,
          metadata: { commission: commission.id },
        },
        dueCollection(ids.clawbackCollection(commission.id), userId, commission.amount, reference),
      ];
      return { debtor: userId, transfers };
    });
  return { refund, clawbacks };
}
