import {
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReversalWorkflowInput } from '../src/recharges/workflow-api';
import { searchAttributes } from '../src/temporal/search-attributes';

const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
const provider = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export interface ReversalResult {
  reversed: boolean;
  note: string;
}

/**
 * Undoes a successful recharge: the provider reported a reversal, or a dispute is upheld by a
 * status check. Refund and commission claw-backs are reversing ledger transfers, each posted at
 * most once (workflow id `reversal-<rechargeId>`, transfer ids derived from the originals).
 */
export async function reversalWorkflow(input: ReversalWorkflowInput): Promise<ReversalResult> {
  if (input.trigger === 'dispute') {
    const check = await provider.checkRechargeStatus({ rechargeId: input.rechargeId, provider: input.provider });
    const upheld = check.status === 'failed' || check.status === 'reversed' || check.status === 'not_found';
    if (!upheld) {
      const note = `dispute by ${input.by} not upheld: ${input.provider} reports ${check.status} (${input.reason})`;
      await db.noteRecharge({ rechargeId: input.rechargeId, status: 'success', note });
      return { reversed: false, note };
    }
  }
  const note =
    input.trigger === 'dispute'
      ? `dispute by ${input.by} upheld: ${input.reason}`
      : `reversed by ${input.provider}: ${input.reason}`;
  try {
    await db.reverseRecharge({ rechargeId: input.rechargeId, note });
  } catch (err) {
    // Typically an upline that has already spent its commission: support settles it by hand.
    upsertSearchAttributes([{ key: searchAttributes.rechargeStatus, value: 'reversal_blocked' }]);
    throw ApplicationFailure.nonRetryable(`reversal of ${input.rechargeId} could not be posted`, 'REVERSAL_BLOCKED', {
      cause: String(err),
    });
  }
  upsertSearchAttributes([{ key: searchAttributes.rechargeStatus, value: 'reversed' }]);
  return { reversed: true, note };
}
