import { createHash } from 'node:crypto';
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowService,
} from '@temporalio/client';
import { AppError, notFound } from '../errors';
import { runningTrouble } from './stuck';

const GRPC_INVALID_ARGUMENT = 3;
type EventId = NonNullable<Parameters<WorkflowService['resetWorkflowExecution']>[0]['workflowTaskFinishEventId']>;

export interface RetryResult {
  workflowId: string;
  previousRunId: string;
  previousStatus: string;
  /** The run that continues from the reset point. */
  runId: string;
  /** The workflow task the new run re-executes from (event id in the previous run's history). */
  resetEventId: number;
}

export interface BatchRetryItem {
  workflowId: string;
  outcome: 'reset' | 'skipped' | 'would_reset';
  detail: string;
  runId?: string;
}

/**
 * Replays a failed or stuck workflow on today's code: Temporal's reset to the last completed
 * workflow task (what `temporal workflow reset --type LastWorkflowTask` does). Events after that
 * point are dropped, so the failed step runs again; signals received since are re-applied. Each
 * reset carries a request id derived from the run and the event, so repeating one is harmless.
 */
export class WorkflowRetrier {
  constructor(
    private readonly temporal: Client,
    private readonly namespace: string,
  ) {}

  /** The current run, if it is one a retry can help: closed without completing, or running but failing. */
  private async retryable(workflowId: string): Promise<WorkflowExecutionDescription> {
    let d: WorkflowExecutionDescription;
    try {
      d = await this.temporal.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound('Workflow');
      throw err;
    }
    const status = d.status.name;
    if (status === 'COMPLETED' || status === 'CONTINUED_AS_NEW') {
      throw new AppError('CONFLICT', `Workflow ${workflowId} has completed: nothing to retry`);
    }
    if (status === 'RUNNING' && runningTrouble(d).length === 0) {
      throw new AppError('CONFLICT', `Workflow ${workflowId} is running normally: nothing to retry`);
    }
    return d;
  }

  async retry(workflowId: string, reason: string): Promise<RetryResult> {
    const d = await this.retryable(workflowId);
    const eventId = await this.lastWorkflowTaskEventId(workflowId, d.runId);
    const requestId = uuidFrom(`${workflowId}\n${d.runId}\n${eventId}`);
    const res: { runId?: string | null } = await this.temporal.workflowService.resetWorkflowExecution({
      namespace: this.namespace,
      workflowExecution: { workflowId, runId: d.runId },
      reason,
      // protobufjs takes a plain number for an int64 field; its type only names Long.
      workflowTaskFinishEventId: eventId as unknown as EventId,
      requestId,
    });
    return {
      workflowId,
      previousRunId: d.runId,
      previousStatus: d.status.name,
      runId: res.runId ?? '',
      resetEventId: eventId,
    };
  }

  /**
   * Workflows matching a visibility query, one reset each (through the same checks as a single
   * retry), at most `limit` distinct workflow ids. `dryRun` lists what would be reset.
   */
  async *matching(query: string, limit: number): AsyncGenerator<string> {
    const seen = new Set<string>();
    try {
      for await (const wf of this.temporal.workflow.list({ query: `(${query}) AND ExecutionStatus != 'Completed'` })) {
        if (seen.has(wf.workflowId)) continue;
        seen.add(wf.workflowId);
        yield wf.workflowId;
        if (seen.size >= limit) return;
      }
    } catch (err) {
      const grpc = err instanceof ServiceError ? err.cause : err;
      if (isGrpcServiceError(grpc) && grpc.code === GRPC_INVALID_ARGUMENT) {
        throw new AppError('VALIDATION_FAILED', `Invalid visibility query: ${grpc.details}`, {
          fields: [{ path: 'body.query', message: grpc.details }],
        });
      }
      throw err;
    }
  }

  /** Whether a retry would act on this workflow now, and why not when it would not. */
  async check(workflowId: string): Promise<{ ok: true; status: string } | { ok: false; detail: string }> {
    try {
      return { ok: true, status: (await this.retryable(workflowId)).status.name };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, detail: err.message };
      throw err;
    }
  }

  /**
   * The event id `temporal workflow reset --type LastWorkflowTask` picks: the last
   * WorkflowTaskCompleted, or the started event of a workflow task scheduled after it.
   */
  private async lastWorkflowTaskEventId(workflowId: string, runId: string): Promise<number> {
    const history = await this.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    let eventId = 0;
    for (const e of history.events ?? []) {
      if (e.workflowTaskCompletedEventAttributes) eventId = Number(e.eventId);
      else if (e.workflowTaskScheduledEventAttributes) eventId = Number(e.eventId) + 1;
    }
    if (eventId === 0) throw new AppError('CONFLICT', `Workflow ${workflowId} has no workflow task to reset to`);
    return eventId;
  }
}

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
