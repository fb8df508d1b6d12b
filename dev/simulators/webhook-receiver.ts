/**
 * A webhook receiver, to watch Tijori's signed deliveries (register `<url>/hooks/<anything>` as
 * a webhook endpoint) and to make them fail on purpose.
 *
 *   POST /hooks/*                      records the delivery; answers the configured status (200)
 *   GET  /deliveries?path=&eventId=&secret=   {items} newest first; with `secret`, each item says
 *                                      whether its Tijori-Signature verifies (5-minute tolerance)
 *   POST /control {status, path?}      answer `status` from now on (on `path` only, when given)
 */
import express, { type Express } from 'express';
import { z } from 'zod';
import { SIGNATURE_HEADER, verifySignature } from '../../src/webhooks/signature';
import { RecentList } from './bounded';
import { issues, jsonErrors } from './http';

export interface ReceivedWebhook {
  path: string;
  signature: string;
  eventId: string | null;
  type: string | null;
  body: string;
  answered: number;
  receivedAt: Date;
}

export interface WebhookReceiver {
  app: Express;
  /** Oldest first. */
  received(): ReceivedWebhook[];
  /** The status answered from now on, on `path` only when given. */
  answer(status: number, path?: string): void;
}

const control = z.object({
  status: z.number().int().min(200).max(599),
  path: z.string().startsWith('/hooks').optional(),
});

export function createWebhookReceiver(opts: { maxDeliveries?: number } = {}): WebhookReceiver {
  const deliveries = new RecentList<ReceivedWebhook>(opts.maxDeliveries ?? 10_000);
  let status = 200;
  const byPath = new Map<string, number>();
  const app = express();

  app.post(/^\/hooks(\/.*)?$/, express.text({ type: () => true, limit: '1mb' }), (req, res) => {
    const body = typeof req.body === 'string' ? req.body : '';
    let parsed: { id?: unknown; type?: unknown } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // Recorded as received; a person can see what was wrong with it.
    }
    const answered = byPath.get(req.path) ?? status;
    deliveries.add({
      path: req.path,
      signature: req.get(SIGNATURE_HEADER) ?? '',
      eventId: typeof parsed.id === 'string' ? parsed.id : null,
      type: typeof parsed.type === 'string' ? parsed.type : null,
      body,
      answered,
      receivedAt: new Date(),
    });
    res.status(answered).end();
  });

  app.get('/deliveries', (req, res) => {
    const q = z
      .object({ path: z.string().optional(), eventId: z.string().optional(), secret: z.string().optional() })
      .safeParse(req.query);
    if (!q.success) return void res.status(400).json({ error: issues(q.error) });
    const { path, eventId, secret } = q.data;
    const items = deliveries
      .newestFirst()
      .filter((d) => (path === undefined || d.path === path) && (eventId === undefined || d.eventId === eventId))
      .map((d) => ({
        ...d,
        ...(secret === undefined ? {} : { verified: verifySignature(secret, d.body, d.signature) }),
      }));
    res.json({ items });
  });

  app.post('/control', express.json(), (req, res) => {
    const c = control.safeParse(req.body);
    if (!c.success) return void res.status(400).json({ error: issues(c.error) });
    if (c.data.path === undefined) status = c.data.status;
    else byPath.set(c.data.path, c.data.status);
    res.json({ status, byPath: Object.fromEntries(byPath) });
  });
  app.use(jsonErrors);

  return {
    app,
    received: () => deliveries.newestFirst().reverse(),
    answer(s, path) {
      if (path === undefined) status = s;
      else byPath.set(path, s);
    },
  };
}
