import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { outstandingHolds } from '../ledger';
import { rechargeTransferIds } from '../recharges/types';
import { reversalWorkflowId } from '../recharges/workflow-api';
import { RiskStore } from '../risk/store';
import { outstandingDues, type DuesSummary } from './dues';
import type { ReconciliationRun, ReconciliationStore } from './reconciliation';

/** Why an item needs a person; docs/RUNBOOK.md has a section for each. */
export type StuckCode =
  | 'manual_review'
  | 'pending_too_long'
  | 'hold_overdue'
  | 'workflow_task_failing'
  | 'activity_failing'
  | 'workflow_closed'
  | 'workflow_missing'
  | 'reversal_failed';

export interface StuckItem {
  kind: 'recharge' | 'topup';
  id: string;
  userId: string;
  status: string;
  amount: bigint;
  /** What the ledger still holds for it (recharge holds; top-ups never hold). */
  heldAmount: bigint;
  createdAt: Date;
  ageSeconds: number;
  reasons: Array<{ code: StuckCode; detail: string }>;
  workflowId: string;
  /** Temporal's status of the current run, when it was looked at. */
  workflowStatus: string | null;
  temporalUrl: string;
  provider: string | null;
  operator: string | null;
}

export interface StuckReport {
  checkedAt: Date;
  items: StuckItem[];
  /** Open workflows not described because of OPS_STUCK_DESCRIBE_LIMIT (oldest are described first). */
  undescribed: number;
  /** The latest reconciliation run, when it found problems. */
  reconciliation: ReconciliationRun | null;
  /** Users owing the platform clawed-back commissions, collected from their next credits. */
  dues: DuesSummary;
  /** Risk alerts support has not resolved yet (src/risk). */
  riskAlerts: { open: number; users: number; oldest: Date | null };
}

/** A pending activity that has failed this many times is reported (its retries go on). */
const ACTIVITY_ATTEMPTS_REPORTED = 3;
/** Rows read per kind; beyond this the oldest are shown. */
const MAX_ROWS = 1000;
/** Slack beyond the recharge's maximum wait before its hold counts as overdue. */
const HOLD_SLACK_SECONDS = 300;
const MISSING_GRACE_SECONDS = 60;

export function temporalUrl(config: Config['temporal'], workflowId: string): string {
  return `${config.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** What a running workflow's description says is wrong with it; empty when it is healthy. */
export function runningTrouble(d: WorkflowExecutionDescription): Array<{ code: StuckCode; detail: string }> {
  const out: Array<{ code: StuckCode; detail: string }> = [];
  const task = d.raw.pendingWorkflowTask;
  if (task && (task.attempt ?? 1) > 1) {
    out.push({
      code: 'workflow_task_failing',
      detail: `workflow task failing, attempt ${task.attempt}: a bug or non-determinism; fix the code, then retry`,
    });
  }
  for (const a of d.raw.pendingActivities ?? []) {
    if ((a.attempt ?? 1) >= ACTIVITY_ATTEMPTS_REPORTED) {
      out.push({
        code: 'activity_failing',
        detail: `activity ${a.activityType?.name ?? '?'} attempt ${a.attempt}: ${a.lastFailure?.message ?? 'no failure message'}`,
      });
    }
  }
  return out;
}

type Described =
  | { status: 'missing' }
  | { status: 'RUNNING'; description: WorkflowExecutionDescription }
  | { status: 'closed'; closedAs: string; failure: string | null };

interface OpenRow {
  kind: 'recharge' | 'topup';
  id: string;
  user_id: string;
  status: string;
  amount: bigint;
  held: bigint | null;
  hold_at: Date | null;
  created_at: Date;
  workflow_id: string;
  provider: string | null;
  operator: string | null;
}

/** The stuck items found so far, by id: each is made at its first reason. */
class Findings {
  readonly items = new Map<string, StuckItem>();

  constructor(
    private readonly now: Date,
    private readonly config: Config,
  ) {}

  ageOf(at: Date): number {
    return (this.now.getTime() - at.getTime()) / 1000;
  }

  of(r: OpenRow): StuckItem {
    let item = this.items.get(r.id);
    if (!item) {
      item = {
        kind: r.kind,
        id: r.id,
        userId: r.user_id,
        status: r.status,
        amount: r.amount,
        heldAmount: r.held ?? 0n,
        createdAt: r.created_at,
        ageSeconds: Math.max(0, Math.round(this.ageOf(r.created_at))),
        reasons: [],
        workflowId: r.workflow_id,
        workflowStatus: null,
        temporalUrl: temporalUrl(this.config.temporal, r.workflow_id),
        provider: r.provider,
        operator: r.operator,
      };
      this.items.set(r.id, item);
    }
    return item;
  }
}

/**
 * The stuck list: recharges and top-ups that need a person, oldest first. The database says which
 * are in manual review, waiting too long or holding money too long; Temporal says whose workflow
 * is failing or has ended while the money is still open; the latest reconciliation is attached
 * when it found problems.
 */
export class StuckFinder {
  constructor(
    private readonly config: Config,
    private readonly db: Db,
    private readonly temporal: Client,
    private readonly reconciliations: ReconciliationStore,
  ) {}

  async find(): Promise<StuckReport> {
    const now = new Date();
    const rows = await this.openRows();
    const found = new Findings(now, this.config);
    this.addRowReasons(rows, found);
    const described = rows.slice(0, this.config.ops.describeLimit);
    await this.addWorkflowReasons(described, found);
    for (const item of await this.failedReversals(now)) found.items.set(item.id, item);

    const latest = await this.reconciliations.latest();
    return {
      checkedAt: now,
      items: [...found.items.values()].sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id),
      ),
      undescribed: rows.length - described.length,
      reconciliation: latest && !latest.ok ? latest : null,
      dues: await outstandingDues(this.db),
      riskAlerts: await new RiskStore(this.db).openSummary(),
    };
  }

  /** What the rows say: in manual review, waiting too long, holding money too long. */
  private addRowReasons(rows: OpenRow[], found: Findings): void {
    const holdAllowance = this.config.recharges.maxPendingSeconds + HOLD_SLACK_SECONDS;
    for (const r of rows) {
      const limit = r.kind === 'recharge' ? this.config.ops.stuckAfterSeconds : this.config.ops.stuckTopupAfterSeconds;
      if (r.status === 'manual_review') {
        // Held for a risk review (src/risk) before any provider had it: approve (success) or refuse (failed).
        const detail = r.provider
          ? 'no final answer from the provider: resolve it'
          : 'held for a risk review: resolve it (success sends it to the providers)';
        found.of(r).reasons.push({ code: 'manual_review', detail });
      } else if (found.ageOf(r.created_at) > limit) {
        found.of(r).reasons.push({ code: 'pending_too_long', detail: `${r.status} for over ${limit} s` });
      }
      if (r.status !== 'manual_review' && r.hold_at && found.ageOf(r.hold_at) > holdAllowance) {
        found.of(r).reasons.push({
          code: 'hold_overdue',
          detail: `${r.held} paise held for ${Math.round(found.ageOf(r.hold_at))} s; a recharge should settle within ${holdAllowance} s`,
        });
      }
    }
  }

  /** What Temporal says: a workflow missing, failing, or ended while its money is still open. */
  private async addWorkflowReasons(rows: OpenRow[], found: Findings): Promise<void> {
    await inBatches(rows, 16, async (r) => {
      const wf = await this.describe(r.workflow_id);
      if (wf.status === 'missing') {
        // A top-up's row is written just before its workflow starts.
        if (found.ageOf(r.created_at) > MISSING_GRACE_SECONDS) {
          found.of(r).reasons.push({ code: 'workflow_missing', detail: 'Temporal has no workflow with this id' });
        }
        return;
      }
      const trouble =
        wf.status === 'RUNNING'
          ? runningTrouble(wf.description)
          : [
              {
                code: 'workflow_closed' as const,
                detail: `workflow ${wf.closedAs.toLowerCase()} while the ${r.kind} is still ${r.status}${r.held ? ` with ${r.held} paise held` : ''}: ${wf.failure ?? 'no failure message'}`,
              },
            ];
      if (trouble.length || found.items.has(r.id)) {
        const item = found.of(r);
        item.workflowStatus = wf.status === 'RUNNING' ? 'RUNNING' : wf.closedAs;
        item.reasons.push(...trouble);
      }
    });
  }

  /** Open recharges (with what their hold still holds) and open top-ups, oldest first. */
  private async openRows(): Promise<OpenRow[]> {
    const open = (
      (await this.db.raw(
        `select 'recharge' as kind, r.id, r.user_id, r.status, r.amount, r.created_at, r.workflow_id, r.provider, r.operator
           from recharges r
          where r.status in ('received', 'processing', 'pending', 'manual_review')
          order by r.created_at, r.id limit ?`,
        [MAX_ROWS],
      )) as { rows: Array<Omit<OpenRow, 'held' | 'hold_at'>> }
    ).rows;
    const holds = new Map(
      (await outstandingHolds(this.db, { ids: open.map((r) => rechargeTransferIds.hold(r.id)) })).map((h) => [h.id, h]),
    );
    const recharges: OpenRow[] = open.map((r) => {
      const hold = holds.get(rechargeTransferIds.hold(r.id));
      return { ...r, held: hold?.amount ?? null, hold_at: hold?.createdAt ?? null };
    });
    const topups = (
      (await this.db.raw(
        `select 'topup' as kind, t.id, t.user_id, t.status, t.amount, null as held, null as hold_at,
                t.created_at, t.workflow_id, null as provider, null as operator
           from topups t where t.status in ('pending_approval', 'awaiting_payment')
          order by t.created_at, t.id limit ?`,
        [MAX_ROWS],
      )) as { rows: OpenRow[] }
    ).rows;
    return [...recharges, ...topups].sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
  }

  private async describe(workflowId: string): Promise<Described> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { status: 'missing' };
      throw err;
    }
    if (description.status.name === 'RUNNING') return { status: 'RUNNING', description };
    return { status: 'closed', closedAs: description.status.name, failure: await failureOf(handle.result()) };
  }

  /**
   * Reversals that failed (typically an upline that already spent its commission) for recharges
   * still counted as successful: the refund has not happened and support must settle it.
   */
  private async failedReversals(now: Date): Promise<StuckItem[]> {
    const out: StuckItem[] = [];
    const seen = new Set<string>();
    const query = `WorkflowType = 'reversalWorkflow' AND ExecutionStatus = 'Failed'`;
    for await (const wf of this.temporal.workflow.list({ query, pageSize: 100 })) {
      const prefix = reversalWorkflowId('');
      if (seen.has(wf.workflowId) || !wf.workflowId.startsWith(prefix)) continue;
      if (seen.size >= MAX_ROWS) break;
      seen.add(wf.workflowId);
      const recharge = (await this.db('recharges')
        .where({ id: wf.workflowId.slice(prefix.length), status: 'success' })
        .first()) as
        | {
            id: string;
            user_id: string;
            status: string;
            amount: bigint;
            created_at: Date;
            provider: string | null;
            operator: string;
          }
        | undefined;
      if (!recharge) continue;
      // Only if the current run failed: a reversal retried since then is not stuck.
      const current = await this.describe(wf.workflowId);
      if (current.status !== 'closed' || current.closedAs !== 'FAILED') continue;
      out.push({
        kind: 'recharge',
        id: recharge.id,
        userId: recharge.user_id,
        status: recharge.status,
        amount: recharge.amount,
        heldAmount: 0n,
        createdAt: recharge.created_at,
        ageSeconds: Math.round((now.getTime() - recharge.created_at.getTime()) / 1000),
        reasons: [
          {
            code: 'reversal_failed',
            detail: `reversal could not be posted: ${current.failure ?? 'no failure message'}`,
          },
        ],
        workflowId: wf.workflowId,
        workflowStatus: 'FAILED',
        temporalUrl: temporalUrl(this.config.temporal, wf.workflowId),
        provider: recharge.provider,
        operator: recharge.operator,
      });
    }
    return out;
  }
}

async function failureOf(result: Promise<unknown>): Promise<string | null> {
  try {
    await result;
    return null;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
    return (err as Error).message;
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
