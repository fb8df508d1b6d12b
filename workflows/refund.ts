import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProviderResult } from '../src/providers/recharge/types';
import type { ReversalRequest } from '../src/recharges/workflow-api';

const { refundRecharge, noteRecharge } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
const { checkRechargeStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Seconds between status checks while the provider gives no definite answer (about 9 minutes in all). */
const confirmationBackoffSeconds = [0, 2, 5, 15, 30, 60, 120, 300];

export interface RefundOutcome {
  reversed: boolean;
  note: string;
}

/** Answers that say the subscriber did not keep the recharge. */
function upheld(r: ProviderResult): boolean {
  return r.status === 'failed' || r.status === 'reversed' || r.status === 'not_found';
}

function definite(r: ProviderResult): boolean {
  return upheld(r) || r.status === 'success';
}

/**
 * Undoes a captured recharge once the provider that holds it confirms, by a status check, that
 * the subscriber did not keep it: a callback or a dispute alone never moves money. The refund
 * itself is idempotent by ledger transfer ids, so any number of confirmations refund once.
 */
export async function confirmAndRefund(request: ReversalRequest): Promise<RefundOutcome> {
  const raisedBy = request.trigger === 'dispute' ? `dispute by ${request.by}` : `reversal reported by ${request.by}`;
  let answer: ProviderResult | undefined;
  for (const wait of confirmationBackoffSeconds) {
    if (wait > 0) await sleep(wait * 1000);
    answer = await checkRechargeStatus({ rechargeId: request.rechargeId, provider: request.provider });
    if (definite(answer)) break;
  }
  if (!answer || !upheld(answer)) {
    const said = answer?.status ?? 'nothing';
    const note = definite(answer!)
      ? `${raisedBy} not upheld: ${request.provider} reports ${said} (${request.reason})`
      : `${raisedBy} unconfirmed: ${request.provider} gave no definite status (${said}); not refunded (${request.reason})`;
    await noteRecharge({ rechargeId: request.rechargeId, status: 'success', note });
    return { reversed: false, note };
  }
  const note = `${raisedBy} confirmed: ${request.provider} reports ${answer.status} (${request.reason})`;
  await refundRecharge({ rechargeId: request.rechargeId, note });
  return { reversed: true, note };
}
