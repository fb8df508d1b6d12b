import { z } from 'zod';
import { requireStepUp } from '../../auth/step-up';
import { AppError } from '../../errors';
import { rawBodyOf, validSignature } from '../webhooks';
import type { Topup } from '../../topups/types';
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
  limitSchema,
  noteSchema,
  optionalIdempotencyHeaders,
  pageOf,
  stepUpHeaders,
  topupSchema,
} from '../schemas';

export function topupView(t: Topup) {
  return {
    id: t.id,
    userId: t.userId,
    amount: t.amount,
    method: t.method,
    status: t.status,
    utr: t.utr,
    paymentUrl: t.paymentUrl,
    workflowId: t.workflowId,
    decidedBy: t.decidedBy,
    note: t.note,
    failureReason: t.failureReason,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

const createBody = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('bank_transfer'),
    amount: amountSchema,
    // Banks print UTRs in either case; one reference must not be claimable twice by changing it.
    utr: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{6,32}$/, 'the bank reference (UTR): 6-32 letters and digits'),
  }),
  z.object({ method: z.literal('gateway'), amount: amountSchema }),
]);

const gatewayWebhookBody = z.object({
  event: z.enum(['payment.succeeded', 'payment.failed']),
  orderId: z.string().min(1).max(64),
  paymentId: z.string().min(1).max(64),
  amount: z.number().int().positive(),
});

export function topupRoutes({ router, publicRouter, registry, deps }: RouteContext): void {
  const tags = ['top-ups'];
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/topups',
      summary: 'Add money: a bank-transfer fund request for the upline to approve, or a payment-gateway order',
      tags,
      headers: idempotencyHeaders,
      body: createBody,
      responses: { 202: { description: 'Accepted', schema: topupSchema } },
      errors: ['FORBIDDEN', 'USER_SUSPENDED', 'IDEMPOTENCY_CONFLICT', 'CONFLICT', 'UNAVAILABLE', 'RISK_REJECTED'],
    },
    async ({ body, headers, req, res }) => {
      const caller = callerOf(res);
      requireMoneyMover(caller);
      const key = headers['idempotency-key'];
      await respondIdempotently(deps.idempotency, `topup:${caller.id}`, key, req, res, async () => ({
        status: 202,
        body: topupView(await deps.topups.create(caller, body, key)),
      }));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/topups',
      summary: "Top-ups in the caller's scope (e.g. ?status=pending_approval for approvers)",
      tags,
      query: z.object({ status: topupSchema.shape.status.optional(), cursor: cursorSchema, limit: limitSchema }),
      responses: { 200: { description: 'A page of top-ups', schema: pageOf(topupSchema) } },
    },
    async ({ query, res }) => {
      const afterId = afterIdOf(query.cursor);
      const page = await deps.topups.list(callerOf(res), { status: query.status, limit: query.limit, afterId });
      res.json({ items: page.items.map(topupView), nextCursor: nextIdCursor(page) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/topups/:id',
      summary: 'A top-up and its status; its Temporal workflow id is `topup-<id>`',
      tags,
      params: idParams,
      responses: { 200: { description: 'The top-up', schema: topupSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.json(topupView(await deps.topups.visible(callerOf(res), params.id)));
    },
  );

  for (const action of ['approve', 'reject'] as const) {
    defineRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/topups/:id/${action}`,
        summary: `${action === 'approve' ? 'Approve' : 'Reject'} a bank-transfer fund request (direct upline or admin)`,
        tags,
        params: idParams,
        headers:
          action === 'approve' ? optionalIdempotencyHeaders.extend(stepUpHeaders.shape) : optionalIdempotencyHeaders,
        body: z.object({ note: noteSchema.optional() }),
        responses: { 200: { description: 'The top-up', schema: topupSchema } },
        errors: [
          'FORBIDDEN',
          'NOT_FOUND',
          'IDEMPOTENCY_CONFLICT',
          'CONFLICT',
          'USER_SUSPENDED',
          'INSUFFICIENT_FUNDS',
          'LIMIT_EXCEEDED',
          ...(action === 'approve' ? (['STEP_UP_REQUIRED', 'RISK_REJECTED'] as const) : []),
        ],
      },
      async ({ params, body, headers, req, res }) => {
        const caller = callerOf(res);
        if (action === 'approve') {
          const topup = await deps.topups.visible(caller, params.id);
          await requireStepUp(deps, caller, req, topup.amount);
        }
        const run = async () => ({
          status: 200,
          body: topupView(await deps.topups.decide(caller, params.id, action, body.note)),
        });
        // The key is optional here: a top-up takes one decision anyway (a second one is 409); with
        // a key, a retried request gets the first answer back instead.
        const key = headers['idempotency-key'];
        if (key === undefined) {
          res.json((await run()).body);
          return;
        }
        await respondIdempotently(deps.idempotency, `topup-decision:${caller.id}`, key, req, res, run);
      },
    );
  }

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/webhooks/gateway',
      summary: 'Payment gateway webhook, signed with HMAC-SHA256 of the body in X-Signature',
      tags: ['webhooks'],
      auth: false,
      body: gatewayWebhookBody,
      responses: { 200: { description: 'Received' } },
      errors: ['UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ body, req, res }) => {
      if (!validSignature(deps.config.providers.gatewayWebhookSecret, rawBodyOf(req), req.header('x-signature'))) {
        throw new AppError('UNAUTHENTICATED', 'Invalid webhook signature');
      }
      const result = await deps.topups.gatewayWebhook({
        orderId: body.orderId,
        paymentId: body.paymentId,
        outcome: body.event === 'payment.succeeded' ? 'success' : 'failure',
        amountPaise: String(body.amount),
      });
      res.json({ received: true, result });
    },
  );
}
