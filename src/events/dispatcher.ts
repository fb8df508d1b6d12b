import type { Client } from '@temporalio/client';
import type { DispatcherInput } from '../../workflows/dispatcher';

/** One dispatcher per task queue (test runs give each stack its own queue on a shared server). */
export const dispatcherWorkflowId = (taskQueue: string) => `event-dispatcher-${taskQueue}`;

export const defaultDispatcherInput: DispatcherInput = { forMs: 60_000, idleMs: 200, batchSize: 200 };

/**
 * Starts the event dispatcher unless it runs already; every worker calls it at boot, so it is
 * started by whichever comes first and survives any of them.
 */
export async function ensureEventDispatcher(
  temporal: Client,
  taskQueue: string,
  input: DispatcherInput = defaultDispatcherInput,
): Promise<void> {
  await temporal.workflow.start('eventDispatcherWorkflow', {
    workflowId: dispatcherWorkflowId(taskQueue),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
