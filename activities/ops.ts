import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../src/db/knex';
import type { Ledger } from '../src/ledger';
import {
  checkHolds,
  checkSettlements,
  ledgerCheckOf,
  ReconciliationStore,
  workflowLiveness,
  type DuesCheck,
  type HoldCheck,
  type LedgerCheck,
  type ReconciliationRun,
  type SettlementCheck,
} from '../src/ops/reconciliation';
import { outstandingDues } from '../src/ops/dues';

export interface OpsDeps {
  db: Db;
  ledger: Ledger;
  /** To ask whether the workflow owning a hold still runs. */
  temporal: Client;
}

/** The reconciliation's checks (src/ops/reconciliation.ts), each read-only, and the record of a run. */
export function createOpsActivities({ db, ledger, temporal }: OpsDeps) {
  const runs = new ReconciliationStore(db);
  return {
    async reconcileLedger(): Promise<LedgerCheck> {
      return ledgerCheckOf(await ledger.verify());
    },

    async reconcileHolds(): Promise<HoldCheck> {
      return checkHolds(db, workflowLiveness(temporal));
    },

    async reconcileSettlements(): Promise<SettlementCheck> {
      return checkSettlements(db);
    },

    async reconcileDues(): Promise<DuesCheck> {
      const dues = await outstandingDues(db, 0);
      return { users: dues.users, owedPaise: dues.owedPaise.toString() };
    },

    /** Stores the run (once per workflow run); a run that found problems is logged at error. */
    async recordReconciliation(unrecorded: Omit<ReconciliationRun, 'finishedAt'>): Promise<ReconciliationRun> {
      const run = await runs.record(unrecorded);
      if (!run.ok) {
        log.error('reconciliation found problems', {
          reconciliationId: run.id,
          mismatches: run.mismatches.length,
          first: run.mismatches.slice(0, 5).map((m) => m.message),
        });
      }
      return run;
    },
  };
}
