import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { recordAuditBy } from '../audit/log';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { AppError, notFound } from '../errors';
import type { Ledger, Transfer, VerifyReport } from '../ledger';
import type { Logger } from '../logger';
import type { ExchangeStore, StoredExchange } from '../providers/recharge/exchanges';
import type { RechargeService } from '../recharges/service';
import type { Recharge } from '../recharges/types';
import type { Resolution } from '../recharges/workflow-api';
import type { TopupService } from '../topups/service';
import type { Topup } from '../topups/types';
import type { Caller } from '../users/types';
import {
  reconciliationWorkflowType,
  type ReconciliationInput,
  type ReconciliationRun,
  ReconciliationStore,
} from './reconciliation';
import { WorkflowRetrier, type BatchRetryItem, type RetryResult } from './retry';
import { StuckFinder, temporalUrl, type StuckReport } from './stuck';

/** Who acts, for the audit trail: the operator, and the request or tool it came through. */
export interface OpsActor {
  caller: Caller;
  via: 'api' | 'cli';
  requestId?: string | null;
  ip?: string | null;
}

export type TopupAction = 'approve' | 'reject' | 'expire';

export interface ItemDetail {
  kind: 'recharge' | 'topup';
  recharge?: Recharge;
  topup?: Topup;
  transfers: Transfer[];
  exchanges: StoredExchange[];
  workflow: { workflowId: string; status: string | null; temporalUrl: string };
}

export interface OpsDeps {
  config: Config;
  db: Db;
  ledger: Ledger;
  temporal: Client;
  recharges: RechargeService;
  topups: TopupService;
  exchanges: ExchangeStore;
  log: Logger;
}

/**
 * Support and operations (docs/RUNBOOK.md): the stuck list, resolutions, workflow retries and the
 * proof of the books, shared by the HTTP routes (/v1/ops/*) and the CLI (`npm run ops`). Support and
 * admins only; every manual action needs a note and is written to the audit trail (who, when, why).
 */
export class OpsService {
  private readonly reconciliations: ReconciliationStore;
  private readonly finder: StuckFinder;
  private readonly retrier: WorkflowRetrier;

  constructor(private readonly deps: OpsDeps) {
    this.reconciliations = new ReconciliationStore(deps.db);
    this.finder = new StuckFinder(deps.config, deps.db, deps.temporal, this.reconciliations);
    this.retrier = new WorkflowRetrier(deps.temporal, deps.config.temporal.namespace);
  }

  static requireOperator(caller: Caller): void {
    if (caller.role !== 'support' && caller.role !== 'admin') {
      throw new AppError('FORBIDDEN', 'Operations are for support and admin users');
    }
  }

  /** The operator behind a CLI invocation (`--as <userId>`): an active support or admin user. */
  async operator(userId: string): Promise<Caller> {
    const row = (await this.deps
      .db('users')
      .where({ id: userId })
      .first('id', 'role', 'path', 'status', 'parent_id')) as
      | { id: string; role: Caller['role']; path: string; status: Caller['status']; parent_id: string | null }
      | undefined;
    if (!row) throw notFound('User');
    const caller: Caller = { id: row.id, role: row.role, path: row.path, status: row.status, parentId: row.parent_id };
    OpsService.requireOperator(caller);
    if (caller.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
    return caller;
  }

  async stuck(caller: Caller): Promise<StuckReport> {
    OpsService.requireOperator(caller);
    return this.finder.find();
  }

  /** One recharge or top-up with everything support looks at: timeline, ledger legs, raw provider exchanges. */
  async show(caller: Caller, kind: ItemDetail['kind'], id: string): Promise<ItemDetail> {
    OpsService.requireOperator(caller);
    if (kind === 'topup') {
      const topup = await this.deps.topups.visible(caller, id);
      return {
        kind: 'topup',
        topup,
        transfers: await this.deps.ledger.transfersByReference(`topup:${id}`),
        exchanges: [],
        workflow: await this.workflow(topup.workflowId),
      };
    }
    const recharge = await this.deps.recharges.visible(caller, id);
    return {
      kind: 'recharge',
      recharge,
      transfers: await this.deps.ledger.transfersByReference(`recharge:${id}`),
      exchanges: await this.deps.exchanges.list(id),
      workflow: await this.workflow(recharge.workflowId),
    };
  }

  async resolveRecharge(actor: OpsActor, id: string, r: Omit<Resolution, 'by'>): Promise<Recharge> {
    OpsService.requireOperator(actor.caller);
    const before = await this.deps.recharges.visible(actor.caller, id);
    const after = await this.deps.recharges.resolve(actor.caller, id, r);
    await this.audit(actor, 'ops.recharge_resolved', id, {
      note: r.note,
      outcome: r.outcome,
      operatorRef: r.operatorRef ?? null,
      statusBefore: before.status,
      statusAfter: after.status,
      amount: before.amount,
      workflowId: before.workflowId,
    });
    return after;
  }

  async settleTopup(actor: OpsActor, id: string, action: TopupAction, note: string): Promise<Topup> {
    OpsService.requireOperator(actor.caller);
    const before = await this.deps.topups.visible(actor.caller, id);
    const after = await this.deps.topups.settleAsOperations(actor.caller, id, action, note);
    await this.audit(
      actor,
      `ops.topup_${action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'expired'}`,
      id,
      {
        note,
        statusBefore: before.status,
        statusAfter: after.status,
        amount: before.amount,
        userId: before.userId,
        workflowId: before.workflowId,
      },
    );
    return after;
  }

  async retry(actor: OpsActor, workflowId: string, reason: string): Promise<RetryResult> {
    OpsService.requireOperator(actor.caller);
    const result = await this.retrier.retry(workflowId, `${reason} (by ${actor.caller.id})`);
    await this.audit(actor, 'ops.workflow_retried', workflowId, { note: reason, ...result });
    this.deps.log.warn({ ...result, by: actor.caller.id, reason }, 'workflow reset by operations');
    return result;
  }

  /**
   * Every workflow matching a visibility query, reset one by one through the same checks and audit
   * as a single retry. Iterating here rather than Temporal's batch reset keeps the per-workflow
   * refusal of healthy or completed workflows, one audit event per reset, and an answer that says
   * what happened to each workflow; the batch API runs unattended on the server and reports counts.
   */
  async retryMatching(
    actor: OpsActor,
    query: string,
    reason: string,
    opts: { limit: number; dryRun: boolean },
  ): Promise<{ items: BatchRetryItem[]; reset: number; skipped: number }> {
    OpsService.requireOperator(actor.caller);
    const items: BatchRetryItem[] = [];
    for await (const workflowId of this.retrier.matching(query, opts.limit)) {
      const check = await this.retrier.check(workflowId);
      if (!check.ok) {
        items.push({ workflowId, outcome: 'skipped', detail: check.detail });
      } else if (opts.dryRun) {
        items.push({ workflowId, outcome: 'would_reset', detail: `current run ${check.status.toLowerCase()}` });
      } else {
        try {
          const r = await this.retry(actor, workflowId, reason);
          items.push({ workflowId, outcome: 'reset', detail: `reset to event ${r.resetEventId}`, runId: r.runId });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          items.push({ workflowId, outcome: 'skipped', detail: err.message });
        }
      }
    }
    return {
      items,
      reset: items.filter((i) => i.outcome === 'reset').length,
      skipped: items.filter((i) => i.outcome === 'skipped').length,
    };
  }

  async verifyLedger(caller: Caller): Promise<VerifyReport> {
    OpsService.requireOperator(caller);
    return this.deps.ledger.verify();
  }

  async latestReconciliation(caller: Caller): Promise<ReconciliationRun> {
    OpsService.requireOperator(caller);
    const run = await this.reconciliations.latest();
    if (!run) throw notFound('Reconciliation run');
    return run;
  }

  /** Runs a reconciliation now (the same workflow the schedule runs) and returns its result. */
  async reconcileNow(actor: OpsActor): Promise<ReconciliationRun> {
    OpsService.requireOperator(actor.caller);
    const input: ReconciliationInput = { trigger: 'manual', alertEmail: this.deps.config.notify.opsAlertEmail };
    const run = await this.deps.temporal.workflow.execute<(i: ReconciliationInput) => Promise<ReconciliationRun>>(
      reconciliationWorkflowType,
      {
        workflowId: `reconciliation-manual-${randomUUID()}`,
        taskQueue: this.deps.config.temporal.taskQueue,
        args: [input],
      },
    );
    await this.audit(actor, 'ops.reconciliation_run', run.id, { ok: run.ok, mismatches: run.mismatches.length });
    return run;
  }

  private async workflow(workflowId: string): Promise<ItemDetail['workflow']> {
    let status: string | null = null;
    try {
      status = (await this.deps.temporal.workflow.getHandle(workflowId).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return { workflowId, status, temporalUrl: temporalUrl(this.deps.config.temporal, workflowId) };
  }

  private async audit(
    actor: OpsActor,
    type: string,
    subjectId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await recordAuditBy(this.deps.db, actor, type, subjectId, { ...details, via: actor.via });
  }
}
