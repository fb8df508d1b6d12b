import type { Request, Response } from 'express';
import { z } from 'zod';
import { requireStepUp } from '../../auth/step-up';
import type { OpsActor } from '../../ops/service';
import { OpsService } from '../../ops/service';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idParams, noteSchema, stepUpHeaders, topupSchema } from '../schemas';
import { rechargeView } from './recharges';
import { topupView } from './topups';

const time = z.string().describe('ISO-8601 UTC');
const money = z.number().int().describe('integer paise');

const mismatchSchema = z
  .object({ check: z.string(), code: z.string(), message: z.string() })
  .catchall(z.unknown())
  .describe('One problem found; further fields name the accounts, transfers or recharges involved');

const reconciliationSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  trigger: z.enum(['schedule', 'manual']),
  ok: z.boolean(),
  startedAt: time,
  finishedAt: time,
  summary: z.record(z.string(), z.unknown()),
  mismatches: z.array(mismatchSchema),
});

const stuckItemSchema = z.object({
  kind: z.enum(['recharge', 'topup']),
  id: z.string(),
  userId: z.string(),
  status: z.string(),
  amount: money,
  heldAmount: money.describe('what the ledger still holds for it'),
  createdAt: time,
  ageSeconds: z.number().int(),
  reasons: z.array(z.object({ code: z.string(), detail: z.string() })),
  workflowId: z.string(),
  workflowStatus: z.string().nullable(),
  temporalUrl: z.string(),
  provider: z.string().nullable(),
  operator: z.string().nullable(),
});

const workflowIdParams = z.object({
  workflowId: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9:_.-]+$/, 'a workflow id'),
});

const retryResultSchema = z.object({
  workflowId: z.string(),
  previousRunId: z.string(),
  previousStatus: z.string(),
  runId: z.string(),
  resetEventId: z.number().int(),
});

const tags = ['operations'];

function actorOf(req: Request, res: Response): OpsActor {
  const caller = callerOf(res);
  OpsService.requireOperator(caller);
  return { caller, via: 'api', requestId: res.locals.requestId as string, ip: req.ip ?? null };
}

/** Support and operations (docs/RUNBOOK.md): support and admin users only. */
export function opsRoutes(ctx: RouteContext): void {
  stuckListRoutes(ctx);
  caseRoutes(ctx);
  topupResolutionRoutes(ctx);
  workflowRetryRoutes(ctx);
  ledgerCheckRoutes(ctx);
}

/** The stuck list: what needs a person now, with the latest failed reconciliation and the dues. */
function stuckListRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/ops/stuck',
      summary:
        'Recharges and top-ups that need a person, oldest first, each with why, its age, the money held and its workflow',
      tags,
      errors: ['FORBIDDEN'],
      responses: {
        200: {
          description: 'The stuck list',
          schema: z.object({
            checkedAt: time,
            items: z.array(stuckItemSchema),
            undescribed: z.number().int(),
            reconciliation: reconciliationSchema.nullable().describe('the latest reconciliation, when it failed'),
            dues: z
              .object({
                users: z.number().int(),
                owedPaise: money,
                items: z.array(z.object({ userId: z.string(), owedPaise: money, since: time })),
              })
              .describe('users owing clawed-back commissions (largest first), collected from their next credits'),
            riskAlerts: z
              .object({ open: z.number().int(), users: z.number().int(), oldest: time.nullable() })
              .describe('risk alerts waiting for support (GET /v1/risk/alerts?status=open)'),
          }),
        },
      },
    },
    async ({ res }) => {
      res.json(await deps.ops.stuck(callerOf(res)));
    },
  );
}

/** One recharge or top-up in full, for support. */
function caseRoutes({ router, registry, deps }: RouteContext): void {
  for (const kind of ['recharges', 'topups'] as const) {
    defineRoute(
      router,
      registry,
      {
        method: 'get',
        path: `/v1/ops/${kind}/:id`,
        summary: `One ${kind === 'recharges' ? 'recharge' : 'top-up'} for support: timeline, ledger transfers, raw provider exchanges, workflow`,
        tags,
        params: idParams,
        responses: { 200: { description: 'Everything known about it' } },
        errors: ['FORBIDDEN', 'NOT_FOUND'],
      },
      async ({ params, res }) => {
        const d = await deps.ops.show(callerOf(res), kind === 'recharges' ? 'recharge' : 'topup', params.id);
        res.json({
          kind: d.kind,
          ...(d.recharge ? { recharge: rechargeView(d.recharge) } : {}),
          ...(d.topup ? { topup: topupView(d.topup) } : {}),
          transfers: d.transfers,
          exchanges: d.exchanges,
          workflow: d.workflow,
        });
      },
    );
  }
}

/** Support resolves a stuck top-up: approve (step-up), reject or expire. */
function topupResolutionRoutes({ router, registry, deps }: RouteContext): void {
  for (const action of ['approve', 'reject', 'expire'] as const) {
    defineRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/ops/topups/:id/${action}`,
        summary: `Support ${action}s a stuck top-up request${action === 'approve' ? ' (once stuck; paid by the upline it is addressed to, the float when that is the admin)' : ''}; audited`,
        tags,
        params: idParams,
        headers: action === 'approve' ? stepUpHeaders : undefined,
        body: z.object({ note: noteSchema }),
        responses: { 200: { description: 'The top-up', schema: topupSchema } },
        errors: [
          'FORBIDDEN',
          'NOT_FOUND',
          'CONFLICT',
          'USER_SUSPENDED',
          'INSUFFICIENT_FUNDS',
          'LIMIT_EXCEEDED',
          ...(action === 'approve' ? (['STEP_UP_REQUIRED', 'RISK_REJECTED'] as const) : []),
        ],
      },
      async ({ params, body, req, res }) => {
        const actor = actorOf(req, res);
        if (action === 'approve') {
          const topup = await deps.topups.visible(actor.caller, params.id);
          await requireStepUp(deps, actor.caller, req, topup.amount);
        }
        const topup = await deps.ops.settleTopup(actor, params.id, action, body.note);
        deps.metrics.opsActions.inc({ action: `topup_${action}` });
        res.json(topupView(topup));
      },
    );
  }
}

/** Restarting failed or stuck workflows, one by id or all a visibility query matches. */
function workflowRetryRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/ops/workflows/:workflowId/retry',
      summary:
        'Restart a failed or stuck workflow from its last good point (reset to the last completed workflow task), on the code deployed now; audited',
      tags,
      params: workflowIdParams,
      body: z.object({ reason: noteSchema }),
      responses: { 200: { description: 'The reset', schema: retryResultSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ params, body, req, res }) => {
      const result = await deps.ops.retry(actorOf(req, res), params.workflowId, body.reason);
      deps.metrics.opsActions.inc({ action: 'workflow_retry' });
      res.json(result);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/ops/workflows/retry',
      summary:
        'Retry every failed or stuck workflow a visibility query matches (dryRun lists them); audited per workflow',
      tags,
      body: z.object({
        query: z
          .string()
          .trim()
          .min(1)
          .max(2000)
          .describe("e.g. WorkflowType = 'rechargeWorkflow' AND ExecutionStatus = 'Failed'"),
        reason: noteSchema,
        limit: z.number().int().min(1).max(1000).default(100),
        dryRun: z.boolean().default(false),
      }),
      errors: ['FORBIDDEN', 'UNAVAILABLE'],
      responses: {
        200: {
          description: 'What happened to each matching workflow',
          schema: z.object({
            items: z.array(
              z.object({
                workflowId: z.string(),
                outcome: z.enum(['reset', 'skipped', 'would_reset']),
                detail: z.string(),
                runId: z.string().optional(),
              }),
            ),
            reset: z.number().int(),
            skipped: z.number().int(),
          }),
        },
      },
    },
    async ({ body, req, res }) => {
      const result = await deps.ops.retryMatching(actorOf(req, res), body.query, body.reason, {
        limit: body.limit,
        dryRun: body.dryRun,
      });
      if (result.reset) deps.metrics.opsActions.inc({ action: 'workflow_retry' }, result.reset);
      res.json(result);
    },
  );
}

/** The ledger's invariants and the reconciliation runs. */
function ledgerCheckRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/ops/ledger/verify',
      summary:
        "Check the ledger's invariants now (debits = credits, account totals, no negative wallets, holds resolved once, hash chain)",
      tags,
      errors: ['FORBIDDEN'],
      responses: {
        200: {
          description: 'The report',
          schema: z.object({
            ok: z.boolean(),
            checkedAt: time,
            accounts: z.number().int(),
            transfers: z.number().int(),
            entries: z.number().int(),
            durationMs: z.number().int(),
            violations: z.array(z.object({ check: z.string(), message: z.string() }).catchall(z.unknown())),
          }),
        },
      },
    },
    async ({ res }) => {
      res.json(await deps.ops.verifyLedger(callerOf(res)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/ops/reconciliation/latest',
      summary: 'The latest reconciliation run (ledger, outstanding holds, provider settlements)',
      tags,
      responses: { 200: { description: 'The run', schema: reconciliationSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'UNAVAILABLE'],
    },
    async ({ res }) => {
      res.json(await deps.ops.latestReconciliation(callerOf(res)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/ops/reconciliation/run',
      summary: 'Run a reconciliation now (the workflow the hourly schedule runs) and return its result',
      tags,
      responses: { 200: { description: 'The run', schema: reconciliationSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'UNAVAILABLE'],
    },
    async ({ req, res }) => {
      res.json(await deps.ops.reconcileNow(actorOf(req, res)));
    },
  );
}
