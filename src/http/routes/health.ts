import { z } from 'zod';
import { defineRoute } from '../route';
import type { RouteContext } from '../context';

const readySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ db: z.string(), temporal: z.string() }),
});

async function check(fn: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes({ router, registry, deps }: RouteContext): void {
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['operations'],
      auth: false,
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    },
    ({ res }) => res.json({ status: 'ok' }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: PostgreSQL and Temporal answer',
      tags: ['operations'],
      auth: false,
      responses: {
        200: { description: 'Ready', schema: readySchema },
        503: { description: 'A dependency is down', schema: readySchema },
      },
    },
    async ({ res }) => {
      const [db, temporal] = await Promise.all([
        check(() => deps.readiness.database(), 2000),
        check(() => deps.readiness.temporal(), 2000),
      ]);
      const ok = db === 'ok' && temporal === 'ok';
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { db, temporal } });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tags: ['operations'],
      auth: false,
      responses: { 200: { description: 'Prometheus text format' } },
    },
    async ({ res }) => {
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    },
  );
}
