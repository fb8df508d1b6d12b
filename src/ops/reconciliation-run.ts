import type { VerifyReport } from '../ledger/types';

/** The reconciliation's results: plain data, shared by its workflow, activities and readers. */

export interface Mismatch {
  check: 'ledger' | 'holds' | 'settlements';
  code: string;
  message: string;
  [k: string]: unknown;
}

export interface ReconciliationInput {
  trigger: 'schedule' | 'manual';
  /** Where the alert goes when the books do not balance. */
  alertEmail: string;
}

export interface LedgerCheck {
  accounts: number;
  transfers: number;
  entries: number;
  durationMs: number;
  mismatches: Mismatch[];
}

export interface HoldCheck {
  /** Outstanding (unresolved) holds looked at. */
  outstanding: number;
  outstandingPaise: string;
  mismatchCount: number;
  mismatches: Mismatch[];
}

export interface ProviderSettlement {
  provider: string;
  /** Sum of the provider's successful (not reversed) recharges. */
  confirmedPaise: string;
  /** The provider settlement account's posted balance. */
  bookedPaise: string;
  recharges: number;
  /** Disagreements explained by recharges still being settled or reversed. */
  inFlight: number;
}

export interface SettlementCheck {
  providers: ProviderSettlement[];
  mismatches: Mismatch[];
}

export interface DuesCheck {
  users: number;
  owedPaise: string;
}

export interface ReconciliationRun {
  id: string;
  workflowId: string;
  trigger: ReconciliationInput['trigger'];
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  summary: {
    ledger: Omit<LedgerCheck, 'mismatches'> & { violations: number };
    holds: Omit<HoldCheck, 'mismatches'>;
    settlements: { providers: ProviderSettlement[] };
    /** Outstanding dues, counted until paid (not a mismatch: a due is owed money on the books). */
    dues?: DuesCheck;
  };
  mismatches: Mismatch[];
}

export function ledgerCheckOf(report: VerifyReport): LedgerCheck {
  return {
    accounts: report.accounts,
    transfers: report.transfers,
    entries: report.entries,
    durationMs: report.durationMs,
    mismatches: report.violations.map((v) => ({ ...v, check: 'ledger', code: v.check, message: v.message })),
  };
}

/** Folds the three checks into the run that is stored and reported. */
export function reconciliationRunOf(input: {
  runId: string;
  workflowId: string;
  trigger: ReconciliationInput['trigger'];
  startedAt: string;
  ledger: LedgerCheck;
  holds: HoldCheck;
  settlements: SettlementCheck;
  dues?: DuesCheck;
}): Omit<ReconciliationRun, 'finishedAt'> {
  const mismatches = [...input.ledger.mismatches, ...input.holds.mismatches, ...input.settlements.mismatches];
  const { mismatches: _l, ...ledger } = input.ledger;
  const { mismatches: _h, ...holds } = input.holds;
  return {
    id: `rcn_${input.runId}`,
    workflowId: input.workflowId,
    trigger: input.trigger,
    ok: mismatches.length === 0,
    startedAt: input.startedAt,
    summary: {
      ledger: { ...ledger, violations: input.ledger.mismatches.length },
      holds,
      settlements: { providers: input.settlements.providers },
      ...(input.dues ? { dues: input.dues } : {}),
    },
    mismatches,
  };
}
