import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Db } from '../src/db/knex';
import type { Ledger } from '../src/ledger';
import type { ProviderResult } from '../src/providers/recharge/types';
import type { RechargeProviders } from '../src/recharges/providers-port';
import { RechargeScreening, type Screening, type ScreeningDeps, type SpendGate } from '../src/recharges/screening';
import { RechargeSettlement } from '../src/recharges/settlement';
import type { RechargeStore } from '../src/recharges/store';
import { askProviderStatus, submitToProvider, type SubmissionOutcome } from '../src/recharges/submission';
import type { RechargeFailureCode, RechargeStatus } from '../src/recharges/types';
import type { RechargeWorkflowInput } from '../src/recharges/workflow-api';
import { asActivityFailure } from './failures';

export interface RechargeDeps {
  db: Db;
  ledger: Ledger;
  recharges: RechargeStore;
  providers: RechargeProviders;
  spendGate: SpendGate;
  risk: ScreeningDeps['risk'];
  duplicateWindowSeconds: number;
}

export interface SubmitInput {
  rechargeId: string;
  operator: string;
  subscriber: string;
  amountPaise: string;
  circle: string | null;
  exclude: string[];
}

export interface CaptureActivityInput {
  rechargeId: string;
  userId: string;
  operator: string;
  amountPaise: string;
  provider: string;
  operatorRef: string | null;
  note: string;
}

export interface ReleaseActivityInput {
  rechargeId: string;
  code: RechargeFailureCode;
  reason: string;
  note: string;
}

/**
 * The recharge's activities: adapters from Temporal to src/recharges. Each calls the domain and
 * translates its refusals into non-retryable failures; everything else is retried.
 */
export function createRechargeActivities(deps: RechargeDeps) {
  const { ledger, recharges, providers } = deps;
  const screening = new RechargeScreening({ ...deps, store: recharges });
  const settlement = new RechargeSettlement(ledger, recharges);

  const holdForRecharge = (input: RechargeWorkflowInput & { workflowId: string }): Promise<Screening> =>
    screening.holdForRecharge({ ...input, amount: BigInt(input.amountPaise) }).catch(rethrow);

  const captureRecharge = async (input: CaptureActivityInput): Promise<{ commissionPaise: string }> => {
    const own = await settlement.captureRecharge({ ...input, amount: BigInt(input.amountPaise) }).catch(rethrow);
    return { commissionPaise: own.toString() };
  };

  const releaseRechargeHold = (input: ReleaseActivityInput): Promise<void> =>
    settlement.releaseRechargeHold(input).catch(rethrow);

  const refundRecharge = (input: { rechargeId: string; note: string }): Promise<void> =>
    settlement.refundRecharge(input).catch(rethrow);

  return {
    holdForRecharge,
    captureRecharge,
    releaseRechargeHold,
    refundRecharge,

    submitRecharge: (input: SubmitInput): Promise<SubmissionOutcome> =>
      submitToProvider(providers, recharges, { ...input, amount: BigInt(input.amountPaise) }, () => heartbeat()),

    async checkRechargeStatus(input: { rechargeId: string; provider: string }): Promise<ProviderResult> {
      const result = await askProviderStatus(providers, input.rechargeId, input.provider, () => heartbeat());
      if (!result) throw ApplicationFailure.nonRetryable(`unknown provider ${input.provider}`, 'NOT_FOUND');
      return result;
    },

    async markRecharge(input: {
      rechargeId: string;
      status: 'pending' | 'manual_review' | 'processing';
      note: string;
    }) {
      await recharges.changeStatus(input.rechargeId, { status: input.status, note: input.note });
    },

    async noteRecharge(input: { rechargeId: string; status: RechargeStatus; note: string }) {
      await recharges.note(input.rechargeId, input.status, input.note);
    },

    // The names recorded in histories from before the activities-named-for-money patch: workflows
    // started then still call them.
    screenAndReserve: holdForRecharge,
    settleRechargeSuccess: captureRecharge,
    settleRechargeFailure: releaseRechargeHold,
    reverseRecharge: refundRecharge,
  };
}

function rethrow(err: unknown): never {
  throw asActivityFailure(err);
}
