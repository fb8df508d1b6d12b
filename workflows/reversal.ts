import {
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { reversalRequestSignal, type ReversalRequest, type ReversalWorkflowInput } from '../src/recharges/workflow-api';
import { searchAttributes } from '../src/temporal/search-attributes';
import { confirmAndRefund, type RefundOutcome } from './refund';

export type ReversalResult = RefundOutcome;

/**
 * Undoes a successful recharge when its provider confirms that the subscriber did not keep it:
 * the provider reported a reversal, or a user disputed it. Requests arrive as signals (with
 * signal-with-start, workflow id `reversal-<rechargeId>`, id reuse allowed), so one made while
 * another is being checked waits its turn and one made after a not-upheld dispute starts a new
 * run; the refund is posted at most once whatever runs (ledger transfer ids).
 */
export async function reversalWorkflow(input: ReversalWorkflowInput): Promise<ReversalResult> {
  if (!patched('reversal-requests-by-signal')) return reverseAsFirstReleased(input);
  const requests: ReversalRequest[] = [];
  setHandler(reversalRequestSignal, (r) => void requests.push(r));
  let outcome: ReversalResult = { reversed: false, note: 'no request' };
  // Checked right before returning, in the same workflow task: a request that arrives later
  // fails the completion and is handled here on the next task.
  while (requests.length > 0) {
    outcome = await confirmAndRefund(requests.shift()!);
    if (outcome.reversed) break; // anything still queued is answered by the refund
  }
  upsertSearchAttributes([
    { key: searchAttributes.rechargeStatus, value: outcome.reversed ? 'reversed' : 'reversal_not_upheld' },
  ]);
  return outcome;
}

// The reversal as first released: started once per recharge, trusting a provider's reversal
// without a status check and posting refund and claw-backs all or nothing. Kept only so that
// reversals started before the patch replay and finish as they began.
const { reverseRecharge, noteRecharge } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
const { checkRechargeStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

async function reverseAsFirstReleased(input: ReversalWorkflowInput): Promise<ReversalResult> {
  if (input.trigger === 'dispute') {
    const check = await checkRechargeStatus({ rechargeId: input.rechargeId, provider: input.provider });
    const upheld = check.status === 'failed' || check.status === 'reversed' || check.status === 'not_found';
    if (!upheld) {
      const note = `dispute by ${input.by} not upheld: ${input.provider} reports ${check.status} (${input.reason})`;
      await noteRecharge({ rechargeId: input.rechargeId, status: 'success', note });
      return { reversed: false, note };
    }
  }
  const note =
    input.trigger === 'dispute'
      ? `dispute by ${input.by} upheld: ${input.reason}`
      : `reversed by ${input.provider}: ${input.reason}`;
  try {
    await reverseRecharge({ rechargeId: input.rechargeId, note });
  } catch (err) {
    upsertSearchAttributes([{ key: searchAttributes.rechargeStatus, value: 'reversal_blocked' }]);
    throw ApplicationFailure.nonRetryable(`reversal of ${input.rechargeId} could not be posted`, 'REVERSAL_BLOCKED', {
      cause: String(err),
    });
  }
  upsertSearchAttributes([{ key: searchAttributes.rechargeStatus, value: 'reversed' }]);
  return { reversed: true, note };
}
