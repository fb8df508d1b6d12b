import { z } from 'zod';
import type { CommissionPlanView, ProviderView, RuleInput } from '../../catalog/config-service';
import type { TdsSettings } from '../../catalog/tds';
import { AppError } from '../../errors';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idParams, idSchema, isoTime } from '../schemas';

const earningRoles = ['retailer', 'distributor', 'master_distributor'] as const;
const operatorCode = z.string().regex(/^[A-Z0-9]{2,16}$/, 'an operator code such as JIO or TATAPLAY');
const bps = z.number().int().min(0).max(10_000);
const time = z.string().describe('ISO-8601 UTC');

const ruleBody = z
  .strictObject({
    role: z.enum(earningRoles),
    operator: operatorCode.optional(),
    kind: z.enum(['prepaid', 'dth']).optional(),
    percentBps: bps.optional().describe('commission in basis points of the amount'),
    flatPaise: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('commission in paise'),
    tdsBps: bps.optional().describe("withheld from every commission of this rule; absent or 0: section 194H's rule"),
  })
  .refine((r) => (r.percentBps === undefined) !== (r.flatPaise === undefined), 'give percentBps or flatPaise')
  .refine((r) => !(r.operator && r.kind), 'give operator or kind, not both')
  .meta({
    oneOf: [{ required: ['percentBps'] }, { required: ['flatPaise'] }],
    not: { required: ['operator', 'kind'] },
  })
  .transform((r): RuleInput => ({
    role: r.role,
    operator: r.operator ?? null,
    kind: r.kind ?? null,
    percentBps: r.percentBps ?? null,
    flatPaise: r.flatPaise === undefined ? null : BigInt(r.flatPaise),
    tdsBps: r.tdsBps ?? 0,
  }));
const rulesBody = z.array(ruleBody).max(200);
const effectiveFrom = isoTime.optional().describe('when the change takes effect (default now; never in the past)');

const ruleSchema = z.object({
  role: z.string(),
  operator: z.string().nullable(),
  kind: z.string().nullable(),
  percentBps: z.number().int().nullable(),
  flatPaise: z.number().int().nullable(),
  tdsBps: z.number().int(),
});
const planSchema = z.object({
  id: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  effectiveFrom: time.nullable().describe('since when the rules in force apply (null: always)'),
  rules: z.array(ruleSchema),
  ruleSets: z.array(z.object({ effectiveFrom: time.nullable(), rules: z.array(ruleSchema) })),
  assignments: z.array(
    z.object({ id: z.string(), userId: z.string().nullable(), role: z.string().nullable(), effectiveFrom: time }),
  ),
});
const iso = (d: Date | null) => d?.toISOString() ?? null;
const planView = (p: CommissionPlanView) => ({
  ...p,
  effectiveFrom: iso(p.effectiveFrom),
  ruleSets: p.ruleSets.map((s) => ({ ...s, effectiveFrom: iso(s.effectiveFrom) })),
  assignments: p.assignments.map((a) => ({ ...a, effectiveFrom: a.effectiveFrom.toISOString() })),
});

const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, _ and -');
const providerSchema = z.object({
  name: z.string(),
  enabled: z.boolean(),
  definition: z.record(z.string(), z.unknown()),
  routes: z.array(z.object({ operator: z.string(), priority: z.number().int(), enabled: z.boolean() })),
  updatedAt: time,
});
const providerView = (p: ProviderView) => ({ ...p, updatedAt: p.updatedAt.toISOString() });
const dryRunSchema = z.object({
  name: z.string(),
  reachable: z.boolean().describe('the provider answered a status check in terms the definition reads'),
  result: z.record(z.string(), z.unknown()),
});
const definition = z.record(z.string(), z.unknown()).describe('src/providers/recharge/definition.ts');
const dryRunQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('validate and make one status call against the provider; store nothing'),
});

const tdsSchema = z.object({
  rateBps: z.number().int(),
  noPanRateBps: z.number().int(),
  thresholdPaise: z.number().int(),
});
const tdsView = (t: TdsSettings) => t;

const tags = ['configuration'];

const actorOf = (req: { ip?: string }, res: Parameters<typeof callerOf>[0]) => ({
  caller: callerOf(res),
  requestId: res.locals.requestId as string,
  ip: req.ip,
});

/** Admin configuration: commission plans, TDS, recharge providers and their routes. */
export function configRoutes(ctx: RouteContext): void {
  commissionPlanRoutes(ctx);
  tdsRoutes(ctx);
  providerRoutes(ctx);
  providerRoutingRoutes(ctx);
}

/** Commission plans: listed, created, changed from a date on, assigned to a user or a role. */
function commissionPlanRoutes({ router, registry, deps }: RouteContext): void {
  const cfg = deps.configuration;
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/commission-plans',
      summary: 'Commission plans: the rules in force, every rule set and assignment (admin)',
      tags,
      responses: { 200: { description: 'Plans', schema: z.object({ items: z.array(planSchema) }) } },
      errors: ['FORBIDDEN'],
    },
    async ({ res }) => {
      res.json({ items: (await cfg.commissionPlans(callerOf(res))).map(planView) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/commission-plans',
      summary: 'Create a commission plan (admin; audited)',
      tags,
      body: z.strictObject({ name: z.string().trim().min(1).max(100), rules: rulesBody, effectiveFrom }),
      responses: { 201: { description: 'The plan', schema: planSchema } },
      errors: ['FORBIDDEN'],
    },
    async ({ body, req, res }) => {
      res.status(201).json(planView(await cfg.createCommissionPlan(actorOf(req, res), body)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/commission-plans/:id',
      summary:
        'Rename a plan, or give it new rules from effectiveFrom on; earlier rules stay as they were (admin; audited)',
      tags,
      params: idParams,
      body: z
        .strictObject({
          name: z.string().trim().min(1).max(100).optional(),
          rules: rulesBody.optional(),
          effectiveFrom,
        })
        .refine((b) => b.name !== undefined || b.rules !== undefined, 'give name and/or rules')
        .meta({ anyOf: [{ required: ['name'] }, { required: ['rules'] }] }),
      responses: { 200: { description: 'The plan', schema: planSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, body, req, res }) => {
      res.json(planView(await cfg.updateCommissionPlan(actorOf(req, res), params.id, body)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/commission-plans/:id/assign',
      summary: 'The plan of a user, or of every user of a role without its own, from effectiveFrom on (admin; audited)',
      tags,
      params: idParams,
      body: z
        .strictObject({ userId: idSchema.optional(), role: z.enum(earningRoles).optional(), effectiveFrom })
        .refine((b) => (b.userId === undefined) !== (b.role === undefined), 'give userId or role')
        .meta({ oneOf: [{ required: ['userId'] }, { required: ['role'] }] }),
      responses: { 200: { description: 'The plan with its assignments', schema: planSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, body, req, res }) => {
      res.json(planView(await cfg.assignCommissionPlan(actorOf(req, res), params.id, body)));
    },
  );
}

/** TDS on commission: the rates and the yearly threshold. */
function tdsRoutes({ router, registry, deps }: RouteContext): void {
  const cfg = deps.configuration;
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/config/tds',
      summary: 'TDS on commission (section 194H; 206AA without a verified PAN) (admin)',
      tags,
      responses: { 200: { description: 'The settings', schema: tdsSchema } },
      errors: ['FORBIDDEN'],
    },
    async ({ res }) => {
      res.json(tdsView(await cfg.tds(callerOf(res))));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/config/tds',
      summary: 'Change the TDS rate, the no-PAN rate or the yearly threshold per payee (admin; audited)',
      tags,
      body: z
        .strictObject({
          rateBps: bps.optional(),
          noPanRateBps: bps.optional(),
          thresholdPaise: z
            .number()
            .int()
            .min(0)
            .max(Number.MAX_SAFE_INTEGER)
            .transform((n) => BigInt(n))
            .optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'give at least one field')
        .meta({ minProperties: 1 }),
      responses: { 200: { description: 'The settings', schema: tdsSchema } },
      errors: ['FORBIDDEN'],
    },
    async ({ body, req, res }) => {
      res.json(tdsView(await cfg.updateTds(actorOf(req, res), body)));
    },
  );
}

/** Recharge providers by their definitions, with a dry run that stores nothing. */
function providerRoutes({ router, registry, deps }: RouteContext): void {
  const cfg = deps.configuration;
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/providers',
      summary: 'Recharge providers: definitions (names of secrets, never secrets) and routes (admin)',
      tags,
      responses: { 200: { description: 'Providers', schema: z.object({ items: z.array(providerSchema) }) } },
      errors: ['FORBIDDEN'],
    },
    async ({ res }) => {
      res.json({ items: (await cfg.providers(callerOf(res))).map(providerView) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/providers',
      summary: "Add a provider by its definition, validated against the adapter's schema (admin; audited)",
      tags,
      query: dryRunQuery,
      body: z.strictObject({ name: providerName, definition, enabled: z.boolean().default(true) }),
      responses: {
        200: { description: 'dryRun: the status check, nothing stored', schema: dryRunSchema },
        201: { description: 'The provider', schema: providerSchema },
      },
      errors: ['FORBIDDEN', 'CONFLICT'],
    },
    async ({ query, body, req, res }) => {
      const actor = actorOf(req, res);
      if (query.dryRun) {
        res.json(await cfg.dryRun(actor.caller, body.name, body.definition));
        return;
      }
      res.status(201).json(providerView(await cfg.createProvider(actor, body)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/providers/:name',
      summary: "Change a provider's definition or enable it (admin; audited)",
      tags,
      params: z.object({ name: providerName }),
      query: dryRunQuery,
      body: z
        .strictObject({
          name: providerName.optional(),
          definition: definition.optional(),
          enabled: z.boolean().optional(),
        })
        .refine((b) => b.definition !== undefined || b.enabled !== undefined, 'give definition and/or enabled')
        .meta({ anyOf: [{ required: ['definition'] }, { required: ['enabled'] }] }),
      responses: {
        200: { description: 'The provider, or with dryRun the status check', schema: providerSchema.or(dryRunSchema) },
      },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, query, body, req, res }) => {
      const actor = actorOf(req, res);
      if (body.name !== undefined && body.name !== params.name) {
        throw new AppError('VALIDATION_FAILED', 'A provider is not renamed', {
          fields: [{ path: 'body.name', message: 'differs from the name in the path' }],
        });
      }
      if (query.dryRun) {
        const current = (await cfg.providers(actor.caller)).find((p) => p.name === params.name);
        if (!current) throw new AppError('NOT_FOUND', 'Provider not found');
        res.json(await cfg.dryRun(actor.caller, params.name, body.definition ?? current.definition));
        return;
      }
      res.json(providerView(await cfg.updateProvider(actor, params.name, body)));
    },
  );
}

/** Which operators a provider serves, in which order. */
function providerRoutingRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/providers/:name/routes',
      summary:
        "The provider's routes become exactly these: operator, priority (lowest first), enabled (admin; audited)",
      tags,
      params: z.object({ name: providerName }),
      body: z.strictObject({
        routes: z
          .array(
            z.strictObject({
              operator: operatorCode,
              priority: z.number().int().min(0).max(1_000_000),
              enabled: z.boolean().default(true),
            }),
          )
          .max(100),
      }),
      responses: { 200: { description: 'The provider with its routes', schema: providerSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, body, req, res }) => {
      res.json(providerView(await deps.configuration.replaceRoutes(actorOf(req, res), params.name, body.routes)));
    },
  );
}
