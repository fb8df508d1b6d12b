import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { reconciliationRunOf, type ReconciliationInput, type ReconciliationRun } from '../src/ops/reconciliation-run';

// The ledger check reads every entry once: minutes on a large ledger, so a generous timeout.
const { reconcileLedger } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});
const {
  checkProviderBalances,
  reconcileDues,
  reconcileHolds,
  reconcileSettlements,
  recordReconciliation,
  startNotifications,
} = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 5 },
});

/**
 * The proof of the books, run by the `reconciliation-hourly` schedule (or on demand): the ledger's
 * invariants, outstanding holds against live recharges, provider settlement accounts against the
 * recharges each provider confirmed, and the dues users still owe. The run is stored; problems alert operations by email (in
 * its own notification workflow, so a mail outage does not hold this one up) besides the error
 * log and the metric.
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationRun> {
  const info = workflowInfo();
  const ledger = await reconcileLedger();
  const holds = await reconcileHolds();
  const settlements = await reconcileSettlements();
  const dues = patched('reconcile-dues') ? await reconcileDues() : undefined;
  // Providers' prepaid balances ride on the same schedule; a low one alerts by itself, once.
  if (patched('provider-balances')) await checkProviderBalances({ alertEmail: input.alertEmail });
  const run = await recordReconciliation(
    reconciliationRunOf({
      runId: info.runId,
      workflowId: info.workflowId,
      trigger: input.trigger,
      startedAt: info.runStartTime.toISOString(),
      ledger,
      holds,
      settlements,
      dues,
    }),
  );
  if (!run.ok) {
    const lines = run.mismatches.slice(0, 20).map((m) => `- [${m.check}/${m.code}] ${m.message}`);
    await startNotifications({
      idPrefix: `notify-${run.id}`,
      messages: [
        {
          channel: 'email',
          to: input.alertEmail,
          subject: `Tijori reconciliation failed: ${run.mismatches.length} problem(s)`,
          body: [
            `Reconciliation ${run.id} (${run.trigger}, ${run.finishedAt}) found ${run.mismatches.length} problem(s):`,
            ...lines,
            run.mismatches.length > lines.length ? `... and ${run.mismatches.length - lines.length} more` : '',
            'Details: npm run ops -- reconciliation latest, or GET /v1/ops/reconciliation/latest (docs/RUNBOOK.md).',
          ].join('\n'),
        },
      ],
    });
  }
  return run;
}
