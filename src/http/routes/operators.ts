import { z } from 'zod';
import type { OperatorView } from '../../catalog/service';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { amountSchema, mobileSchema } from '../schemas';

const operatorCode = z.string().regex(/^[A-Z0-9]{2,16}$/, 'an operator code such as JIO or TATAPLAY');
const money = z.number().int().describe('integer paise');

const operatorSchema = z.object({
  code: z.string(),
  kind: z.enum(['prepaid', 'dth']),
  name: z.string(),
  enabled: z.boolean(),
  minAmount: money,
  maxAmount: money,
  amountStep: money.describe('amounts are multiples of this (100: whole rupees)'),
  planOnly: z.boolean().describe('only the amounts of its active plans are accepted'),
});

const lookupSchema = z.object({
  subscriber: z.string(),
  operator: z.string(),
  circle: z.string().nullable(),
  source: z.enum(['series', 'provider']),
});

const view = (o: OperatorView) => o;

/** The operators with their amount rules, the operator lookup of a number, and admins' edits. */
export function operatorRoutes({ router, registry, deps }: RouteContext): void {
  const tags = ['operators and plans'];
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/operators',
      summary: 'Operators with their amount rules',
      tags,
      responses: { 200: { description: 'Every operator', schema: z.object({ items: z.array(operatorSchema) }) } },
    },
    async ({ res }) => {
      res.json({ items: (await deps.catalog.operators()).map(view) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/operators/lookup',
      summary: "The operator and circle of a prepaid number: its series, or a provider's lookup (ported numbers)",
      tags,
      query: z.object({ subscriber: mobileSchema }),
      responses: { 200: { description: 'Who serves the number', schema: lookupSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ query, res }) => {
      res.json(await deps.catalog.lookup(query.subscriber));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/operators/:code',
      summary: 'Change an operator: enabled, amount range, plan amounts only (admin; audited)',
      tags,
      params: z.object({ code: operatorCode }),
      body: z
        .strictObject({
          enabled: z.boolean().optional(),
          minAmount: amountSchema.optional(),
          maxAmount: amountSchema.optional(),
          planOnly: z.boolean().optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'give at least one field')
        .meta({ minProperties: 1 }),
      responses: { 200: { description: 'The operator as changed', schema: operatorSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, body, req, res }) => {
      const actor = { caller: callerOf(res), requestId: res.locals.requestId as string, ip: req.ip };
      res.json(view(await deps.catalog.updateOperator(actor, params.code, body)));
    },
  );
}
