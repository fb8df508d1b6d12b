import type { Db } from '../db/knex';
import { LedgerError, type Ledger } from '../ledger';
import type { RiskEngine } from '../risk/service';
import { findUser } from '../users/store';
import { rechargeHold } from './postings';
import type { RechargeStore } from './store';
import { isRefusal, type RechargeStatus, type RefusalCode } from './types';

/** Whether a user may spend now (the KYC gate): throws an error carrying a RefusalCode if not. */
export type SpendGate = (db: Db, userId: string) => Promise<void>;

/**
 * Held (with `review` when a risk rule sends it to manual review before it goes on), or refused
 * (with the risk rule that refused it, if one did).
 */
export type Screening =
  | { ok: true; review?: { rule: string; message: string } }
  | { ok: false; code: RefusalCode; message: string; rule?: string };

export interface RechargeToHold {
  rechargeId: string;
  userId: string;
  workflowId: string;
  operator: string;
  subscriber: string;
  circle: string | null;
  amount: bigint;
}

export interface ScreeningDeps {
  db: Db;
  ledger: Ledger;
  store: RechargeStore;
  spendGate: SpendGate;
  risk: Pick<RiskEngine, 'screen' | 'reviewOf'>;
  duplicateWindowSeconds: number;
}

/**
 * The checks that depend on the moment (the API has already checked the request against the
 * operator's rules): the user is active, it is not a duplicate within the window, KYC allows
 * spending, the risk rules pass it (src/risk: a block refuses it, a review holds it in
 * manual_review for support), and the wallet can fund the hold. Safe to run again: the projection
 * row, the duplicate check (which excludes this recharge), the alerts (by rule and recharge) and
 * the hold (by id) are idempotent, and a recharge already refused or already held is answered as
 * it was.
 */
export class RechargeScreening {
  constructor(private readonly deps: ScreeningDeps) {}

  async holdForRecharge(r: RechargeToHold): Promise<Screening> {
    const { db, store } = this.deps;
    const screened = await db.transaction(
      async (trx): Promise<{ refusal?: Screening; status: RechargeStatus; role?: string }> => {
        await store.insertReceived(trx, { ...r, id: r.rechargeId });
        const current = await store.screeningState(trx, r.rechargeId);
        if (current.status === 'failed' && isRefusal(current.failureCode)) {
          const message = current.failureReason ?? current.failureCode;
          return { status: current.status, refusal: { ok: false, code: current.failureCode, message } };
        }
        if (current.status !== 'received') return { status: current.status }; // run again after the hold
        const user = await findUser(trx, r.userId);
        if (user?.status !== 'active') {
          return {
            status: current.status,
            refusal: { ok: false, code: 'USER_SUSPENDED', message: 'This user is suspended' },
          };
        }
        await store.lockDuplicateKey(trx, r);
        const dup = await store.recentDuplicate(trx, { ...r, id: r.rechargeId }, this.deps.duplicateWindowSeconds);
        if (dup) {
          return {
            status: current.status,
            refusal: {
              ok: false,
              code: 'RISK_REJECTED',
              message: `duplicate: the same recharge (${dup}) was made within ${this.deps.duplicateWindowSeconds} s`,
            },
          };
        }
        return { status: current.status, role: user.role };
      },
    );
    const { refusal } = screened;
    if (refusal && !refusal.ok) return this.refuse(r.rechargeId, refusal);
    try {
      await this.deps.spendGate(db, r.userId);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (isRefusal(e.code ?? null)) {
        return this.refuse(r.rechargeId, { ok: false, code: e.code as RefusalCode, message: e.message ?? '' });
      }
      throw err;
    }
    let review: { rule: string; message: string } | undefined;
    if (screened.status === 'received') {
      const verdict = await this.deps.risk.screen({
        kind: 'recharge',
        subjectId: r.rechargeId,
        userId: r.userId,
        role: screened.role!,
        amount: r.amount,
        subscriber: r.subscriber,
      });
      if (verdict.action === 'block') {
        return this.refuse(r.rechargeId, {
          ok: false,
          code: 'RISK_REJECTED',
          message: verdict.message,
          rule: verdict.rule,
        });
      }
      if (verdict.action === 'review') review = { rule: verdict.rule, message: verdict.message };
    } else if (screened.status === 'manual_review') {
      review = await this.deps.risk.reviewOf(r.rechargeId);
    }
    try {
      await this.deps.ledger.createTransfer(rechargeHold(r.rechargeId, r.userId, r.amount));
    } catch (err) {
      if (err instanceof LedgerError && err.code === 'INSUFFICIENT_FUNDS') {
        return this.refuse(r.rechargeId, {
          ok: false,
          code: 'INSUFFICIENT_FUNDS',
          message: 'Insufficient wallet balance',
        });
      }
      throw err;
    }
    if (review) {
      await store.changeStatus(r.rechargeId, {
        status: 'manual_review',
        note: `amount held for review: ${review.message}`,
      });
      return { ok: true, review };
    }
    await store.changeStatus(r.rechargeId, { status: 'processing', note: 'amount held' });
    return { ok: true };
  }

  private async refuse(rechargeId: string, refusal: Screening & { ok: false }): Promise<Screening> {
    await this.deps.store.changeStatus(rechargeId, {
      status: 'failed',
      failureCode: refusal.code,
      failureReason: refusal.message,
      note: `refused: ${refusal.message}`,
    });
    return refusal;
  }
}
