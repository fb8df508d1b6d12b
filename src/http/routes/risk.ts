import { z } from 'zod';
import { riskActions, type RiskRule } from '../../risk/rules';
import type { RiskAlert } from '../../risk/store';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idParams, idSchema, limitSchema, noteSchema } from '../schemas';

const time = z.string().describe('ISO-8601 UTC');

const ruleSchema = z.object({
  id: z.string(),
  kind: z.string(),
  enabled: z.boolean(),
  threshold: z.number().int().describe('recharges for counting rules, paise for amount rules'),
  window: z.number().int().nullable().describe('seconds looked back (dormant_account: the dormancy period)'),
  action: z.enum(riskActions),
  role: z.string().nullable(),
  userId: z.string().nullable(),
  band: z.object({ minPaise: z.number().int(), maxPaise: z.number().int() }).nullable(),
  description: z.string(),
  updatedAt: time,
});
const ruleView = (r: RiskRule) => ({
  id: r.id,
  kind: r.kind,
  enabled: r.enabled,
  threshold: r.threshold,
  window: r.windowSeconds,
  action: r.action,
  role: r.role,
  userId: r.userId,
  band: r.band,
  description: r.description,
  updatedAt: r.updatedAt.toISOString(),
});

const alertSchema = z.object({
  id: z.string(),
  userId: z.string(),
  rule: z.string(),
  subjectId: z.string().describe('the recharge, transfer or top-up that fired it'),
  movement: z.string(),
  action: z.enum(['review', 'flag']),
  detail: z.string(),
  status: z.enum(['open', 'resolved']),
  createdAt: time,
  resolvedAt: time.nullable(),
  resolvedBy: z.string().nullable(),
  note: z.string().nullable(),
});
const alertView = (a: RiskAlert) => ({
  ...a,
  createdAt: a.createdAt.toISOString(),
  resolvedAt: a.resolvedAt?.toISOString() ?? null,
});

const tags = ['risk'];

const actorOf = (req: { ip?: string }, res: Parameters<typeof callerOf>[0]) => ({
  caller: callerOf(res),
  requestId: res.locals.requestId as string,
  ip: req.ip,
});

/** The risk rules (admin) and the alerts they leave (support, admin): src/risk. */
export function riskRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/risk/rules',
      summary: 'Every risk rule, enabled or not, with its threshold, window and action (admin)',
      tags,
      responses: { 200: { description: 'Rules', schema: z.object({ items: z.array(ruleSchema) }) } },
      errors: ['FORBIDDEN'],
    },
    async ({ res }) => {
      res.json({ items: (await deps.risk.rules(callerOf(res))).map(ruleView) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/risk/rules/:id',
      summary:
        "Enable or disable a rule, change its threshold or action (admin; audited). `max_single_amount__<userId>` or `daily_spend__<userId>` creates that user's own rule (threshold required), in place of its role's",
      tags,
      params: idParams,
      body: z
        .strictObject({
          enabled: z.boolean().optional(),
          threshold: z
            .number()
            .int()
            .min(0)
            .max(Number.MAX_SAFE_INTEGER)
            .transform((n) => BigInt(n))
            .optional(),
          action: z.enum(riskActions).optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'give enabled, threshold and/or action')
        .meta({ anyOf: [{ required: ['enabled'] }, { required: ['threshold'] }, { required: ['action'] }] }),
      responses: { 200: { description: 'The rule as it now is', schema: ruleSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, body, req, res }) => {
      res.json(ruleView(await deps.risk.updateRule(actorOf(req, res), params.id, body)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/risk/alerts',
      summary: 'Risk alerts left by review and flag rules, newest first (support, admin)',
      tags,
      query: z.object({
        status: z.enum(['open', 'resolved']).optional(),
        userId: idSchema.optional(),
        limit: limitSchema,
      }),
      responses: { 200: { description: 'Alerts', schema: z.object({ items: z.array(alertSchema) }) } },
      errors: ['FORBIDDEN'],
    },
    async ({ query, res }) => {
      res.json({ items: (await deps.risk.alerts(callerOf(res), query)).map(alertView) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/risk/alerts/:id/resolve',
      summary: 'Resolve an open risk alert with a note (support, admin; audited)',
      tags,
      params: idParams,
      body: z.strictObject({ note: noteSchema }),
      responses: { 200: { description: 'The resolved alert', schema: alertSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, body, req, res }) => {
      res.json(alertView(await deps.risk.resolveAlert(actorOf(req, res), params.id, body.note)));
    },
  );
}
