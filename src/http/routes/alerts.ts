import { z } from 'zod';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';

const alertSettingsSchema = z.object({
  email: z.boolean().describe('email alerts on; SMS alerts are always on'),
  lowBalanceThreshold: z.number().int().nullable().describe('paise; null: no low-balance alert'),
});

const body = z
  .object({
    email: z.boolean().optional(),
    lowBalanceThreshold: z
      .number()
      .int('integer paise')
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .transform((n) => BigInt(n))
      .nullable()
      .optional(),
  })
  .strict();

export function alertRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/me/alerts',
      summary: "The caller's alert preferences: email alerts on or off (SMS alerts stay on), the low-balance threshold",
      tags: ['alerts'],
      body,
      responses: { 200: { description: 'The preferences now in force', schema: alertSettingsSchema } },
    },
    async ({ body, res }) => {
      res.json(await deps.alerts.update(callerOf(res).id, body));
    },
  );
}
