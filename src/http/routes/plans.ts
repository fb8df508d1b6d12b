import { z } from 'zod';
import type { Plan } from '../../catalog/service';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { amountSchema, idParams } from '../schemas';

const operatorCode = z.string().regex(/^[A-Z0-9]{2,16}$/, 'an operator code such as JIO or TATAPLAY');
const circleCode = z.string().regex(/^[A-Z]{2,4}$/, 'a circle code such as DL or MU');

const planSchema = z.object({
  id: z.string(),
  operator: z.string(),
  circle: z.string().nullable().describe('null: every circle'),
  amount: z.number().int().describe('integer paise'),
  validityDays: z.number().int(),
  data: z.string().nullable(),
  talktime: z.number().int().nullable().describe('integer paise'),
  category: z.string(),
  description: z.string(),
  active: z.boolean(),
});

const planFields = {
  operator: operatorCode,
  circle: circleCode.nullable(),
  amount: amountSchema,
  validityDays: z.number().int().min(0).max(3650),
  data: z.string().trim().min(1).max(100).nullable(),
  talktime: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .transform((n) => BigInt(n))
    .nullable(),
  category: z.string().regex(/^[a-z_]{2,32}$/, 'a lower-case category such as unlimited, data, topup, dth'),
  description: z.string().trim().min(1).max(300),
};

const view = (p: Plan) => p;

/** The plan catalogue: listed for recharge screens, edited by admins. */
export function planRoutes({ router, registry, deps }: RouteContext): void {
  const tags = ['operators and plans'];
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/plans',
      summary: "An operator's active plans, of a circle (with those for every circle) when given",
      tags,
      query: z.object({ operator: operatorCode.optional(), circle: circleCode.optional() }),
      responses: { 200: { description: 'Plans', schema: z.object({ items: z.array(planSchema) }) } },
    },
    async ({ query, res }) => {
      res.json({ items: (await deps.catalog.plans(query)).map(view) });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/plans',
      summary: 'Add a plan to the catalogue (admin; audited)',
      tags,
      body: z.strictObject({
        ...planFields,
        circle: planFields.circle.default(null),
        data: planFields.data.default(null),
        talktime: planFields.talktime.default(null),
      }),
      responses: { 201: { description: 'The plan', schema: planSchema } },
      errors: ['FORBIDDEN', 'UNKNOWN_OPERATOR'],
    },
    async ({ body, req, res }) => {
      const actor = { caller: callerOf(res), requestId: res.locals.requestId as string, ip: req.ip };
      res.status(201).json(view(await deps.catalog.createPlan(actor, body)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/plans/:id',
      summary: 'Change a plan, or withdraw it with active: false (admin; audited)',
      tags,
      params: idParams,
      body: z
        .strictObject({
          operator: planFields.operator.optional(),
          circle: planFields.circle.optional(),
          amount: planFields.amount.optional(),
          validityDays: planFields.validityDays.optional(),
          data: planFields.data.optional(),
          talktime: planFields.talktime.optional(),
          category: planFields.category.optional(),
          description: planFields.description.optional(),
          active: z.boolean().optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'give at least one field')
        .meta({ minProperties: 1 }),
      responses: { 200: { description: 'The plan as changed', schema: planSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND', 'UNKNOWN_OPERATOR'],
    },
    async ({ params, body, req, res }) => {
      const actor = { caller: callerOf(res), requestId: res.locals.requestId as string, ip: req.ip };
      res.json(view(await deps.catalog.updatePlan(actor, params.id, body)));
    },
  );
}
