import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Db } from '../src/db/knex';
import { duesAccount, LedgerError, type Ledger, type TransferInput } from '../src/ledger';
import type { ProviderResult } from '../src/providers/recharge/types';
import type { RechargeProviders } from '../src/recharges/providers-port';
import { commissionLegs } from '../src/recharges/commission';
import { checkAgainstOperator } from '../src/recharges/operators';
import {
  rechargeCapture,
  rechargeHold,
  rechargeReference,
  rechargeRefund,
  rechargeRelease,
} from '../src/recharges/postings';
import type { RechargeStore } from '../src/recharges/store';
import { rechargeTransferIds as ids } from '../src/recharges/types';
import type { RechargeWorkflowInput } from '../src/recharges/workflow-api';
import { withDueCollections } from '../src/wallets/dues';
import { asActivityFailure } from './failures';

/** Whether another user-facing step may still spend: the KYC gate and anything like it. */
export type SpendGate = (db: Db, userId: string) => Promise<void>;

export interface RechargeDeps {
  db: Db;
  ledger: Ledger;
  recharges: RechargeStore;
  providers: RechargeProviders;
  spendGate: SpendGate;
  duplicateWindowSeconds: number;
}

export type Screening = { ok: true } | { ok: false; code: string; message: string };

export interface SubmitInput {
  rechargeId: string;
  operator: string;
  subscriber: string;
  amountPaise: string;
  circle: string | null;
  exclude: string[];
}

export type SubmitOutcome = { provider: string; result: ProviderResult } | { provider: null; result: null };

function providerFailed(r: ProviderResult): boolean {
  return r.status === 'unavailable' || r.status === 'unknown' || (r.status === 'failed' && r.fault === 'provider');
}

export function createRechargeActivities(deps: RechargeDeps) {
  const { db, ledger, recharges, providers } = deps;
  const ensuredSettlement = new Set<string>();

  async function refuse(rechargeId: string, code: string, message: string): Promise<Screening> {
    await recharges.changeStatus(rechargeId, {
      status: 'failed',
      failureCode: code,
      failureReason: message,
      note: `refused: ${message}`,
    });
    return { ok: false, code, message };
  }

  return {
    /**
     * Screens the request and reserves the amount with a ledger hold, in one local activity (one
     * history event): user active, KYC allows spending, operator and amount valid, not a
     * duplicate within the window, funds available. Safe to replay: the projection row, the
     * duplicate check (which excludes this recharge) and the hold (by id) are all idempotent.
     */
    async screenAndReserve(input: RechargeWorkflowInput & { workflowId: string }): Promise<Screening> {
      const amount = BigInt(input.amountPaise);
      const refusal = await db.transaction(async (trx) => {
        await recharges.insertReceived(trx, {
          id: input.rechargeId,
          userId: input.userId,
          workflowId: input.workflowId,
          operator: input.operator,
          subscriber: input.subscriber,
          circle: input.circle,
          amount,
        });
        const current = (await trx('recharges')
          .where({ id: input.rechargeId })
          .first('status', 'failure_code', 'failure_reason')) as {
          status: string;
          failure_code: string | null;
          failure_reason: string | null;
        };
        if (current.status === 'failed') {
          return { code: current.failure_code ?? 'RISK_REJECTED', message: current.failure_reason ?? 'refused' };
        }
        if (current.status !== 'received') return undefined; // replay after the hold: already screened
        const user = (await trx('users').where({ id: input.userId }).first('status')) as { status: string } | undefined;
        if (!user || user.status !== 'active') return { code: 'USER_SUSPENDED', message: 'This user is suspended' };
        const check = checkAgainstOperator(await recharges.operator(input.operator), {
          subscriber: input.subscriber,
          amount,
        });
        if (!check.ok) return { code: check.code, message: check.message };
        // Serialise requests for the same subscriber, operator and amount, so two racing keys see each other.
        await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
          `recharge-dup:${input.userId}:${input.operator}:${input.subscriber}:${amount}`,
        ]);
        const dup = await recharges.recentDuplicate(
          trx,
          {
            id: input.rechargeId,
            userId: input.userId,
            operator: input.operator,
            subscriber: input.subscriber,
            amount,
          },
          deps.duplicateWindowSeconds,
        );
        if (dup) {
          return {
            code: 'RISK_REJECTED',
            message: `duplicate: the same recharge (${dup}) was made within ${deps.duplicateWindowSeconds} s`,
          };
        }
        return undefined;
      });
      if (refusal) return refuse(input.rechargeId, refusal.code, refusal.message);
      try {
        await deps.spendGate(db, input.userId);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        if (e.code) return refuse(input.rechargeId, e.code, e.message ?? e.code);
        throw err;
      }
      try {
        await ledger.createTransfer(rechargeHold(input.rechargeId, input.userId, amount));
      } catch (err) {
        if (err instanceof LedgerError && err.code === 'INSUFFICIENT_FUNDS') {
          return refuse(input.rechargeId, 'INSUFFICIENT_FUNDS', 'Insufficient wallet balance');
        }
        throw asActivityFailure(err);
      }
      await recharges.changeStatus(input.rechargeId, { status: 'processing', note: 'amount held' });
      return { ok: true };
    },

    /**
     * Sends the recharge to the best provider not yet tried. A provider that may already have it
     * (an earlier attempt of this activity died mid-call) is asked for its status first: our
     * recharge id is its client reference, so nothing is ever recharged twice.
     */
    async submitRecharge(input: SubmitInput): Promise<SubmitOutcome> {
      const [provider] = await providers.candidates(input.operator, input.exclude);
      if (!provider) return { provider: null, result: null };
      const maybeSent = await providers.wasSubmitted(input.rechargeId, provider.name);
      await recharges.setProvider(input.rechargeId, provider.name);
      if (maybeSent) {
        const check = await provider.status(input.rechargeId);
        await providers.recordExchange(input.rechargeId, check.exchange);
        // Only a definite "never received" allows a new submission; no answer to the status
        // question (unknown, unavailable) means it may still have it: wait and ask again.
        if (check.result.status === 'unavailable') {
          return { provider: provider.name, result: { status: 'unknown', reason: check.result.reason } };
        }
        if (check.result.status !== 'not_found') return { provider: provider.name, result: check.result };
      }
      await providers.markSubmitting(input.rechargeId, provider.name);
      heartbeat({ provider: provider.name });
      const beat = setInterval(() => heartbeat({ provider: provider.name }), 1000);
      try {
        const call = await provider.submit({
          clientRef: input.rechargeId,
          operator: input.operator,
          subscriber: input.subscriber,
          amount: BigInt(input.amountPaise),
          circle: input.circle ?? undefined,
        });
        await providers.recordExchange(input.rechargeId, call.exchange);
        await providers.recordOutcome(provider.name, providerFailed(call.result) ? 'failure' : 'ok');
        return { provider: provider.name, result: call.result };
      } finally {
        clearInterval(beat);
      }
    },

    async checkRechargeStatus(input: { rechargeId: string; provider: string }): Promise<ProviderResult> {
      const provider = await providers.get(input.provider);
      if (!provider) throw ApplicationFailure.nonRetryable(`unknown provider ${input.provider}`, 'UNKNOWN_PROVIDER');
      const call = await provider.status(input.rechargeId);
      await providers.recordExchange(input.rechargeId, call.exchange);
      return call.result;
    },

    async markRecharge(input: {
      rechargeId: string;
      status: 'pending' | 'manual_review';
      note: string;
    }): Promise<void> {
      await recharges.changeStatus(input.rechargeId, { status: input.status, note: input.note });
    },

    async noteRecharge(input: { rechargeId: string; status: string; note: string }): Promise<void> {
      await recharges.note(input.rechargeId, input.status, input.note);
    },

    /**
     * Success: capture the hold, pay the provider, credit commission at every level and withhold
     * TDS, as one linked ledger batch (all or nothing, each leg posted at most once). A level
     * whose wallet is at its KYC cap has its commission withheld rather than blocking the rest.
     */
    async settleRechargeSuccess(input: {
      rechargeId: string;
      userId: string;
      operator: string;
      amountPaise: string;
      provider: string;
      operatorRef: string | null;
      note: string;
    }): Promise<{ commissionPaise: string }> {
      const amount = BigInt(input.amountPaise);
      const id = input.rechargeId;
      if (!ensuredSettlement.has(input.provider)) {
        await ledger.ensureSystemAccounts([input.provider]);
        ensuredSettlement.add(input.provider);
      }
      const op = await recharges.operator(input.operator);
      const legs = commissionLegs(
        await recharges.commissionChain(input.userId),
        input.operator,
        op?.kind ?? 'prepaid',
        amount,
      );
      const withheld = new Set<string>();
      for (;;) {
        const batch = await withDueCollections(
          ledger,
          rechargeCapture({ rechargeId: id, amount, provider: input.provider, legs, withheld }),
        );
        const results = await ledger.createTransfers(batch);
        const failed = results.filter((r) => r.status === 'failed');
        if (failed.length === 0) break;
        const capped = failed
          .map((f) => (f.status === 'failed' && f.error.code === 'LIMIT_EXCEEDED' ? f.id : undefined))
          .map((fid) => legs.find((l) => fid === ids.commission(id, l.userId))?.userId)
          .filter((u): u is string => !!u);
        if (capped.length === 0) {
          const first = failed[0]!;
          const error = first.status === 'failed' ? first.error : undefined;
          throw ApplicationFailure.nonRetryable(
            `settling ${id} failed at ${first.id}: ${error?.message ?? 'unknown'}`,
            error?.code ?? 'LEDGER',
          );
        }
        for (const u of capped) withheld.add(u);
        await recharges.note(id, 'success', `commission withheld for ${capped.join(', ')}: wallet at its KYC cap`);
      }
      const own = legs.find((l) => l.userId === input.userId && !withheld.has(l.userId));
      await recharges.changeStatus(id, {
        status: 'success',
        provider: input.provider,
        operatorRef: input.operatorRef,
        commission: own?.gross ?? 0n,
        note: input.note,
      });
      return { commissionPaise: (own?.gross ?? 0n).toString() };
    },

    /** Failure: release the hold (the refund) and record why. */
    async settleRechargeFailure(input: {
      rechargeId: string;
      code: string;
      reason: string;
      note: string;
    }): Promise<void> {
      try {
        await ledger.createTransfer(rechargeRelease(input.rechargeId));
      } catch (err) {
        throw asActivityFailure(err);
      }
      await recharges.changeStatus(input.rechargeId, {
        status: 'failed',
        failureCode: input.code,
        failureReason: input.reason,
        note: input.note,
      });
    },

    refundRecharge,
    /** The name reversals started before the reversal-requests-by-signal patch still call. */
    reverseRecharge: refundRecharge,
  };

  /**
   * Undoes a captured recharge (its provider confirmed the subscriber did not keep it): the
   * refund, which depends on nobody's balance and no cap, then each commission clawed back as a
   * due of its earner, collected from its wallet as far as the wallet goes. Every transfer is
   * idempotent by id, so a retry, a second trigger or a reset refunds once.
   */
  async function refundRecharge(input: { rechargeId: string; note: string }): Promise<void> {
    const posted = await ledger.transfersByReference(rechargeReference(input.rechargeId));
    const plan = rechargeRefund(input.rechargeId, posted);
    await postAll(await withDueCollections(ledger, plan.refund));
    for (const clawback of plan.clawbacks) {
      await ledger.createAccounts([duesAccount(clawback.debtor)]);
      await postAll(clawback.transfers);
    }
    await recharges.changeStatus(input.rechargeId, { status: 'reversed', note: input.note });
  }

  async function postAll(batch: TransferInput[]): Promise<void> {
    const failed = (await ledger.createTransfers(batch)).find((r) => r.status === 'failed');
    if (failed?.status === 'failed') throw asActivityFailure(failed.error);
  }
}
