import { z } from 'zod';
import { auditTypePattern, type AuditRecord } from '../../audit/log';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idSchema, limitSchema, pageOf, seqCursorSchema } from '../schemas';

const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  type: z.string(),
  actorId: z.string().nullable(),
  subjectId: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

function auditView(e: AuditRecord) {
  return { ...e, at: e.at.toISOString() };
}

export function auditRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/audit',
      summary: 'The append-only security audit log, newest first (admin only)',
      tags: ['audit'],
      query: z.object({
        actorId: idSchema.optional(),
        subjectId: idSchema.optional(),
        type: z.string().max(100).regex(auditTypePattern, 'a dotted event type, e.g. auth.sign_in').optional(),
        cursor: seqCursorSchema,
        limit: limitSchema,
      }),
      responses: { 200: { description: 'A page of events', schema: pageOf(auditEventSchema) } },
      errors: ['FORBIDDEN'],
    },
    async ({ query, res }) => {
      const page = await deps.audit.list(callerOf(res), query);
      res.json({ items: page.items.map(auditView), nextCursor: page.nextCursor });
    },
  );
}
