import { z } from 'zod';
import { AppError } from '../../errors';
import { CallbackRejected } from '../../providers/recharge/types';
import type { Recharge } from '../../recharges/types';
import { rechargeStatuses, refusalCodes } from '../../recharges/types';
import { requireStepUp } from '../../auth/step-up';
import { callerOf, requireMoneyMover } from '../auth';
import type { RouteContext } from '../context';
import { respondIdempotently } from '../idempotency';
import { afterIdOf, nextIdCursor } from '../pagination';
import { defineRoute } from '../route';
import {
  amountSchema,
  cursorSchema,
  idempotencyHeaders,
  idParams,
  idSchema,
  isoTime,
  limitSchema,
  noteSchema,
  pageOf,
  stepUpHeaders,
} from '../schemas';
import { rawBodyOf } from '../webhooks';

const time = z.string().describe('ISO-8601 UTC');
const rechargeSchema = z.object({
  id: z.string(),
  userId: z.string(),
  operator: z.string(),
  subscriber: z.string(),
  circle: z.string().nullable(),
  amount: z.number().int(),
  status: z.enum(rechargeStatuses),
  provider: z.string().nullable(),
  operatorRef: z.string().nullable(),
  commission: z.number().int(),
  failureReason: z.string().nullable(),
  workflowId: z.string(),
  createdAt: time,
  updatedAt: time,
  timeline: z.array(z.object({ at: time, status: z.string(), note: z.string().nullable() })),
});

export function rechargeView(r: Recharge) {
  return {
    id: r.id,
    userId: r.userId,
    operator: r.operator,
    subscriber: r.subscriber,
    circle: r.circle,
    amount: r.amount,
    status: r.status,
    provider: r.provider,
    operatorRef: r.operatorRef,
    commission: r.commission,
    failureReason: r.failureReason,
    workflowId: r.workflowId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    timeline: r.timeline.map((e) => ({ at: e.at.toISOString(), status: e.status, note: e.note })),
  };
}

const isFinal = (r: Recharge) => r.status === 'success' || r.status === 'failed' || r.status === 'reversed';

const createBody = z.object({
  operator: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{2,16}$/, 'an operator code such as JIO or TATAPLAY')
    .optional()
    .describe('absent for a prepaid number: the operator lookup decides'),
  subscriber: z.string().trim().min(6).max(20),
  amount: amountSchema,
  circle: z.string().trim().min(2).max(32).optional(),
});

export function rechargeRoutes({ router, publicRouter, registry, deps }: RouteContext): void {
  const tags = ['recharges'];
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/recharges',
      summary: 'Start a recharge (a durable workflow); ?waitMs waits up to 30 s for a final status',
      tags,
      headers: idempotencyHeaders.extend(stepUpHeaders.shape),
      body: createBody,
      query: z.object({ waitMs: z.coerce.number().int().min(0).max(30_000).default(0) }),
      responses: {
        200: { description: 'Final within waitMs', schema: rechargeSchema },
        202: { description: 'Accepted: screened and the amount held', schema: rechargeSchema },
        503: { description: 'Not screened within 15 s: retry with the same Idempotency-Key' },
      },
      errors: [
        'FORBIDDEN',
        'UNKNOWN_OPERATOR',
        'INVALID_AMOUNT',
        ...refusalCodes,
        'STEP_UP_REQUIRED',
        'IDEMPOTENCY_CONFLICT',
        'CONFLICT',
        'UNAVAILABLE',
      ],
    },
    async ({ body, query, headers, req, res }) => {
      const caller = callerOf(res);
      requireMoneyMover(caller);
      const recharge = await deps.recharges.validate(caller, body);
      await deps.admission.admit(caller, req.header('idempotency-key'), res);
      await requireStepUp(deps, caller, req, body.amount);
      const key = headers['idempotency-key'];
      await respondIdempotently(deps.idempotency, `recharge:${caller.id}`, key, req, res, async () => {
        const r = await deps.recharges.create(caller, recharge, key, query.waitMs);
        return { status: isFinal(r) ? 200 : 202, body: rechargeView(r) };
      });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/recharges',
      summary: "Recharges in the caller's scope, oldest first",
      tags,
      query: z.object({
        status: z.enum(rechargeStatuses).optional(),
        userId: idSchema.optional(),
        subscriber: z
          .string()
          .regex(/^[0-9]{10}$/, 'a 10-digit number')
          .optional()
          .describe('exact match on the number recharged'),
        from: isoTime.optional(),
        to: isoTime.optional(),
        cursor: cursorSchema,
        limit: limitSchema,
        clientRef: z.string().min(1).max(128).optional().describe('the Idempotency-Key the caller started it with'),
      }),
      responses: { 200: { description: 'A page of recharges', schema: pageOf(rechargeSchema) } },
      errors: ['NOT_FOUND'],
    },
    async ({ query, res }) => {
      const { cursor, ...filter } = query;
      const page = await deps.recharges.list(callerOf(res), { ...filter, afterId: afterIdOf(cursor) });
      res.json({ items: page.items.map(rechargeView), nextCursor: nextIdCursor(page) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/recharges/:id',
      summary: 'A recharge with its timeline; its Temporal workflow id is workflowId',
      tags,
      params: idParams,
      responses: { 200: { description: 'The recharge', schema: rechargeSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.json(rechargeView(await deps.recharges.visible(callerOf(res), params.id)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/recharges/:id/dispute',
      summary: 'Dispute a recharge: the provider is asked, and a recharge that failed is refunded',
      tags,
      params: idParams,
      body: z.object({ reason: noteSchema }),
      responses: { 202: { description: 'Dispute accepted', schema: rechargeSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, body, res }) => {
      res.status(202).json(rechargeView(await deps.recharges.dispute(callerOf(res), params.id, body.reason)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/ops/recharges/:id/resolve',
      summary: 'Support resolves a pending or manual-review recharge; the money follows the outcome (audited)',
      tags: ['operations'],
      params: idParams,
      body: z.object({
        outcome: z.enum(['success', 'failed']),
        operatorRef: z.string().trim().min(1).max(64).optional(),
        note: noteSchema,
      }),
      responses: { 200: { description: 'The recharge after resolution', schema: rechargeSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'USER_SUSPENDED'],
    },
    async ({ params, body, req, res }) => {
      const actor = {
        caller: callerOf(res),
        via: 'api' as const,
        requestId: res.locals.requestId as string,
        ip: req.ip,
      };
      const resolved = await deps.ops.resolveRecharge(actor, params.id, body);
      deps.metrics.opsActions.inc({ action: 'recharge_resolve' });
      res.json(rechargeView(resolved));
    },
  );

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/providers/:provider/callback',
      summary: "A recharge provider's callback, in the provider's own format, signed by it",
      tags: ['webhooks'],
      auth: false,
      params: z.object({ provider: z.string().regex(/^[a-z0-9_-]{1,32}$/) }),
      responses: { 200: { description: 'Received' } },
      errors: ['UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ params, req, res }) => {
      const provider = await deps.rechargeProviders.get(params.provider);
      if (!provider) throw new AppError('NOT_FOUND', 'Unknown provider');
      let parsed;
      try {
        parsed = provider.parseCallback({ headers: req.headers, rawBody: rawBodyOf(req), url: req.originalUrl });
      } catch (err) {
        if (err instanceof CallbackRejected) {
          await deps.rechargeProviders.recordExchange(null, err.exchange);
          deps.metrics.providerCallbacks.inc({ provider: params.provider, result: 'rejected' });
          throw new AppError('UNAUTHENTICATED', err.message);
        }
        throw err;
      }
      await deps.rechargeProviders.recordExchange(parsed.clientRef, parsed.exchange);
      const result = await deps.recharges.providerCallback(params.provider, parsed.clientRef, parsed.result);
      deps.metrics.providerCallbacks.inc({ provider: params.provider, result });
      res.json({ received: true, result });
    },
  );
}
