import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

// A worker that dies is noticed by the missing heartbeat; the next one takes over at once.
const { runEventDispatcher } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export interface DispatcherInput {
  forMs: number;
  idleMs: number;
  batchSize: number;
}

/** Rounds per run before continuing as new: keeps the history short. */
const ROUNDS_PER_RUN = 60;

/**
 * The one event dispatcher (docs/ARCHITECTURE.md "Events"), started by every worker at boot under
 * a fixed id: it runs the dispatching activity round after round, forever. Its cursor and every
 * delivery's retry state live in PostgreSQL, so this history holds nothing but the rounds.
 */
export async function eventDispatcherWorkflow(input: DispatcherInput): Promise<never> {
  for (let i = 0; i < ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested; i++) {
    await runEventDispatcher(input);
  }
  return continueAsNew<typeof eventDispatcherWorkflow>(input);
}
