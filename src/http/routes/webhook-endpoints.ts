import { z } from 'zod';
import { subscribableEventTypes, type WebhookEndpoint } from '../../webhooks/service';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idParams, limitSchema, pageOf, seqCursorSchema } from '../schemas';

const time = z.string().describe('ISO-8601 UTC');

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(subscribableEventTypes)),
  status: z.enum(['active', 'disabled']),
  createdAt: time,
  failingSince: time.nullable().describe('Since when every attempt has failed; null after a success'),
  disabledAt: time.nullable(),
});

const attemptSchema = z.object({
  id: z.string().describe("The delivery's id: one per endpoint and event, shared by its attempts"),
  eventId: z.string().describe('The `id` of the body: the same on every attempt'),
  type: z.string(),
  attempt: z.number().int().describe('1 for the first attempt'),
  status: z
    .enum(['pending', 'delivered', 'failed'])
    .describe('The delivery after this attempt: delivered (2xx), pending (to be retried) or failed (given up)'),
  responseStatus: z.number().int().nullable().describe("The receiver's HTTP status; null when none came"),
  error: z.string().nullable().describe('Why no answer came (timeout, refused, unsafe address)'),
  at: time,
});

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    status: e.status,
    createdAt: e.createdAt.toISOString(),
    failingSince: e.failingSince?.toISOString() ?? null,
    disabledAt: e.disabledAt?.toISOString() ?? null,
  };
}

/** Webhooks to API clients (../../../docs/WEBHOOKS.md): a caller's own endpoints only. */
export function webhookEndpointRoutes({ router, registry, deps }: RouteContext): void {
  const tags = ['webhooks'];
  const { webhooks } = deps;

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/webhook-endpoints',
      summary:
        'Register a URL for signed event deliveries (about the caller and its downline); the signing secret is shown once',
      tags,
      body: z.object({
        url: z.string().trim().min(1).max(2048).describe('https in production; may not resolve to a private address'),
        events: z
          .array(z.enum(subscribableEventTypes))
          .min(1)
          .max(subscribableEventTypes.length * 2)
          .optional()
          .describe('Defaults to every type'),
      }),
      responses: {
        201: {
          description: 'Registered',
          schema: endpointSchema.extend({
            secret: z.string().describe('Verifies the Tijori-Signature header; shown only here'),
          }),
        },
      },
      errors: ['LIMIT_EXCEEDED'],
    },
    async ({ body, res }) => {
      const e = await webhooks.create(callerOf(res), body);
      res.status(201).json({ ...endpointView(e), secret: e.secret });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/webhook-endpoints',
      summary: "The caller's webhook endpoints (never their secrets)",
      tags,
      responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(endpointSchema) }) } },
    },
    async ({ res }) => {
      res.json({ items: (await webhooks.list(callerOf(res))).map(endpointView) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/webhook-endpoints/:id',
      summary: 'Remove a webhook endpoint: nothing more is sent to it',
      tags,
      params: idParams,
      responses: { 204: { description: 'Removed' } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      await webhooks.remove(callerOf(res), params.id);
      res.status(204).end();
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/webhook-endpoints/:id/deliveries',
      summary: "Every delivery attempt to the endpoint, newest first, with the receiver's status",
      tags,
      params: idParams,
      query: z.object({ cursor: seqCursorSchema, limit: limitSchema }),
      responses: { 200: { description: 'A page of attempts', schema: pageOf(attemptSchema) } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, query, res }) => {
      const page = await webhooks.attempts(callerOf(res), params.id, query);
      res.json({
        items: page.items.map((a) => ({ ...a, at: a.at.toISOString() })),
        nextCursor: page.nextCursor,
      });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/webhook-endpoints/:id/test',
      summary: 'Send a `ping` event to the endpoint (its attempts show in the deliveries list)',
      tags,
      params: idParams,
      responses: { 202: { description: 'Queued', schema: z.object({ eventId: z.string() }) } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.status(202).json(await webhooks.ping(callerOf(res), params.id));
    },
  );
}
