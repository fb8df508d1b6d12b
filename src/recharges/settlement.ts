import { duesAccount, type Ledger, type LedgerError, type TransferInput, type TransferResult } from '../ledger';
import { withDueCollections } from '../wallets/dues';
import { commissionLegs } from './commission';
import { rechargeCapture, rechargeReference, rechargeRefund, rechargeRelease } from './postings';
import type { RechargeStore } from './store';
import { rechargeTransferIds as ids, type RechargeFailureCode } from './types';

export interface CaptureInput {
  rechargeId: string;
  userId: string;
  operator: string;
  amount: bigint;
  provider: string;
  operatorRef: string | null;
  note: string;
}

/**
 * The money side of a recharge's outcome: capture on success, release on failure, refund after
 * a confirmed reversal. Each posts the pure postings of ./postings.ts through the ledger and then
 * moves the projection; each is idempotent by ledger transfer id, so it can run again after a crash.
 * Ledger refusals are thrown as LedgerErrors for the caller to translate.
 */
export class RechargeSettlement {
  private readonly ensuredSettlement = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    private readonly store: RechargeStore,
  ) {}

  /**
   * Success: the hold captured, the provider paid, commission credited at every level with TDS
   * withheld, in one linked batch. A level whose wallet is at its KYC cap has its commission
   * withheld rather than blocking the rest. Returns the recharging user's own commission.
   */
  async captureRecharge(input: CaptureInput): Promise<bigint> {
    const { rechargeId: id, amount } = input;
    if (!this.ensuredSettlement.has(input.provider)) {
      await this.ledger.ensureSystemAccounts([input.provider]);
      this.ensuredSettlement.add(input.provider);
    }
    const reference = rechargeReference(id);
    const posted = await this.ledger.transfersByReference(reference);
    if (posted.some((t) => t.id === ids.capture(id))) {
      // Captured by an earlier run: TDS depends on the moment, so it is never worked out again.
      const own = posted.find((t) => t.id === ids.commission(id, input.userId));
      const gross = own ? BigInt(String(own.metadata.gross ?? own.amount)) : 0n;
      await this.store.changeStatus(id, {
        status: 'success',
        provider: input.provider,
        operatorRef: input.operatorRef,
        commission: gross,
        note: input.note,
      });
      return gross;
    }
    const op = await this.store.operator(input.operator);
    // Commission rates are those in force when the recharge was made; TDS is of the day it is credited.
    const chain = await this.store.commissionChain(input.userId, (await this.store.createdAt(id)) ?? new Date());
    const tax = await this.store.tdsContext(
      chain.map((b) => b.userId),
      new Date(),
      reference,
    );
    const legs = commissionLegs(chain, input.operator, op?.kind ?? 'prepaid', amount, tax);
    const withheld = new Set<string>();
    for (;;) {
      const batch = rechargeCapture({ rechargeId: id, amount, provider: input.provider, legs, withheld });
      const failed = failures(await this.ledger.createTransfers(await withDueCollections(this.ledger, batch)));
      if (failed.length === 0) break;
      const capped = legs
        .filter((l) => failed.some((f) => f.error.code === 'LIMIT_EXCEEDED' && f.id === ids.commission(id, l.userId)))
        .map((l) => l.userId);
      if (capped.length === 0) throw failed[0]!.error;
      for (const u of capped) withheld.add(u);
      await this.store.note(id, 'success', `commission withheld for ${capped.join(', ')}: wallet at its KYC cap`);
    }
    const own = legs.find((l) => l.userId === input.userId && !withheld.has(l.userId));
    await this.store.changeStatus(id, {
      status: 'success',
      provider: input.provider,
      operatorRef: input.operatorRef,
      commission: own?.gross ?? 0n,
      note: input.note,
    });
    return own?.gross ?? 0n;
  }

  /** Failure: the hold released (the wallet has its money back) and why, recorded. */
  async releaseRechargeHold(input: {
    rechargeId: string;
    code: RechargeFailureCode;
    reason: string;
    note: string;
  }): Promise<void> {
    await this.ledger.createTransfer(rechargeRelease(input.rechargeId));
    await this.store.changeStatus(input.rechargeId, {
      status: 'failed',
      failureCode: input.code,
      failureReason: input.reason,
      note: input.note,
    });
  }

  /**
   * Undoes a captured recharge once its provider has confirmed the subscriber did not keep it:
   * the refund, which depends on nobody's balance and no cap, then each commission clawed back as
   * a due of its earner, collected from its wallet as far as the wallet goes.
   */
  async refundRecharge(input: { rechargeId: string; note: string }): Promise<void> {
    const posted = await this.ledger.transfersByReference(rechargeReference(input.rechargeId));
    const plan = rechargeRefund(input.rechargeId, posted);
    await this.postLinked(await withDueCollections(this.ledger, plan.refund));
    for (const clawback of plan.clawbacks) {
      await this.ledger.createAccounts([duesAccount(clawback.debtor)]);
      await this.postLinked(clawback.transfers);
    }
    await this.store.changeStatus(input.rechargeId, { status: 'reversed', note: input.note });
  }

  private async postLinked(batch: TransferInput[]): Promise<void> {
    const [failed] = failures(await this.ledger.createTransfers(batch));
    if (failed) throw failed.error;
  }
}

/** The transfers of a linked batch that failed (the one that broke it, then the rest). */
function failures(results: TransferResult[]): Array<{ id: string; error: LedgerError }> {
  const linked = (f: { error: LedgerError }) => (f.error.code === 'LINKED_TRANSFER_FAILED' ? 1 : 0);
  return results
    .flatMap((r) => (r.status === 'failed' ? [{ id: r.id, error: r.error }] : []))
    .sort((a, b) => linked(a) - linked(b));
}
