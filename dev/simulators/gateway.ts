/**
 * Payment gateway simulator.
 *
 *   POST /orders  X-Merchant-Key; {amount (paise), reference, customer?: {name?, email?, mobile?}}
 *                 → 201 {orderId, paymentUrl, status: "created", amount, reference, expiresAt}
 *                 (the same reference and amount again → 200 with the same order; another amount → 409)
 *   GET  /orders/:orderId  X-Merchant-Key → the order
 *   GET  <paymentUrl>                   an HTML page with "Pay" and "Fail" buttons
 *   POST <paymentUrl>/complete          {outcome: "success"|"failure"} (JSON or form) → settles, sends the webhook,
 *                                       answers {orderId, status, paymentId, webhook: {delivered, httpStatus?, error?}}
 *   POST <paymentUrl>/resend-webhook    the same bytes and signature again → {delivered, httpStatus?, error?}
 *
 * Webhook: POST JSON {event: "payment.succeeded"|"payment.failed", orderId, reference, amount, paymentId, status, at}
 * with the hex HMAC-SHA256 of the raw body in X-Signature. Order status: created → paid | failed, or expired.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../src/logger';
import { BoundedMap, Timers } from './bounded';
import { issues, jsonErrors, postSigned, sameSecret, type Delivery } from './http';

export const DEFAULT_GATEWAY_MERCHANT_KEY = 'dev-gateway-merchant-key';

export interface GatewaySimulatorOptions {
  /** `<apiBaseUrl>/v1/webhooks/gateway` */
  webhookUrl: string;
  webhookSecret: string;
  log: Logger;
  merchantKey?: string;
  /** Base of paymentUrl; default: the URL the order request was sent to. */
  publicUrl?: string;
  /** Default 30 minutes. */
  orderTtlMs?: number;
  maxOrders?: number;
}

type OrderStatus = 'created' | 'paid' | 'failed' | 'expired';

interface Order {
  orderId: string;
  amount: number;
  reference: string;
  customer: { name?: string; email?: string; mobile?: string } | null;
  status: Exclude<OrderStatus, 'expired'>;
  paymentId: string | null;
  createdAt: string;
  expiresAt: string;
  settledAt: string | null;
  /** The exact webhook body sent, so a resend is byte-identical. */
  webhookBody: string | null;
  webhooks: Delivery[];
}

const orderBody = z.object({
  amount: z.number().int().positive().max(10_00_00_000),
  reference: z.string().min(1).max(64),
  customer: z
    .object({
      name: z.string().max(100).optional(),
      email: z.string().max(254).optional(),
      mobile: z.string().max(20).optional(),
    })
    .optional(),
});
const completeBody = z.object({ outcome: z.enum(['success', 'failure']) });

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const rupees = (paise: number) => `₹${Math.trunc(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;

export interface GatewaySimulator {
  app: Express;
  close(): void;
}

export function createGatewaySimulator(opts: GatewaySimulatorOptions): GatewaySimulator {
  const merchantKey = opts.merchantKey ?? DEFAULT_GATEWAY_MERCHANT_KEY;
  const ttl = opts.orderTtlMs ?? 30 * 60_000;
  const orders = new BoundedMap<string, Order>(opts.maxOrders ?? 10_000);
  const byReference = new BoundedMap<string, string>(opts.maxOrders ?? 10_000);
  const timers = new Timers();

  const statusOf = (o: Order): OrderStatus =>
    o.status === 'created' && Date.parse(o.expiresAt) <= Date.now() ? 'expired' : o.status;
  const baseUrl = (req: Request) => (opts.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/$/, '');
  const view = (o: Order, req: Request) => ({
    orderId: o.orderId,
    paymentUrl: `${baseUrl(req)}/pay/${o.orderId}`,
    status: statusOf(o),
    amount: o.amount,
    currency: 'INR',
    reference: o.reference,
    customer: o.customer,
    paymentId: o.paymentId,
    createdAt: o.createdAt,
    expiresAt: o.expiresAt,
    settledAt: o.settledAt,
    webhooks: o.webhooks,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '8kb' }), express.urlencoded({ extended: false, limit: '8kb' }));

  const merchantOnly: express.RequestHandler = (req, res, next) =>
    sameSecret(req.get('x-merchant-key'), merchantKey)
      ? next()
      : res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'Invalid X-Merchant-Key' } });

  app.post('/orders', merchantOnly, (req, res) => {
    const parsed = orderBody.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(parsed.error) } });
    const { amount, reference, customer } = parsed.data;
    const existing = orders.get(byReference.get(reference) ?? '');
    if (existing) {
      if (existing.amount !== amount) {
        return res
          .status(409)
          .json({ error: { code: 'REFERENCE_REUSED', message: 'This reference has an order for another amount' } });
      }
      return res.status(200).json(view(existing, req));
    }
    const now = Date.now();
    const order: Order = {
      orderId: id('order'),
      amount,
      reference,
      customer: customer ?? null,
      status: 'created',
      paymentId: null,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttl).toISOString(),
      settledAt: null,
      webhookBody: null,
      webhooks: [],
    };
    orders.set(order.orderId, order);
    byReference.set(reference, order.orderId);
    res.status(201).json(view(order, req));
  });

  app.get('/orders/:orderId', merchantOnly, (req, res) => {
    const order = orders.get(String(req.params.orderId));
    if (!order) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    res.json(view(order, req));
  });

  const deliver = async (order: Order, body: string): Promise<Delivery> => {
    const delivery = await postSigned(opts.webhookUrl, body, 'application/json', opts.webhookSecret, timers.signal);
    order.webhooks.push(delivery);
    opts.log.debug({ orderId: order.orderId, ...delivery }, 'gateway webhook');
    return delivery;
  };

  const page = (res: Response, title: string, inner: string, status = 200) =>
    res
      .status(status)
      .type('html')
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
          `<body style="font-family:sans-serif;max-width:28rem;margin:3rem auto">${inner}</body></html>`,
      );

  app.get('/pay/:orderId', (req, res) => {
    const order = orders.get(req.params.orderId);
    if (!order) return page(res, 'Not found', '<h1>No such order</h1>', 404);
    const status = statusOf(order);
    const action = `/pay/${encodeURIComponent(order.orderId)}/complete`;
    const buttons =
      status === 'created'
        ? `<form method="post" action="${action}"><input type="hidden" name="outcome" value="success"><button>Pay ${rupees(order.amount)}</button></form>` +
          `<form method="post" action="${action}"><input type="hidden" name="outcome" value="failure"><button>Fail the payment</button></form>`
        : `<p>This order is <strong>${status}</strong>.</p>`;
    page(
      res,
      'Tijori test gateway',
      `<h1>Test payment</h1><p>Amount: <strong>${rupees(order.amount)}</strong><br>Reference: ${escapeHtml(order.reference)}<br>Order: ${order.orderId}</p>${buttons}`,
    );
  });

  app.post('/pay/:orderId/complete', async (req, res) => {
    const fromForm = typeof req.is('application/x-www-form-urlencoded') === 'string';
    const order = orders.get(req.params.orderId);
    if (!order) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    const parsed = completeBody.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(parsed.error) } });
    const status = statusOf(order);
    if (status !== 'created') {
      return res.status(409).json({ error: { code: 'ORDER_NOT_PAYABLE', message: `The order is ${status}` }, status });
    }
    const succeeded = parsed.data.outcome === 'success';
    order.status = succeeded ? 'paid' : 'failed';
    order.paymentId = id('pay');
    order.settledAt = new Date().toISOString();
    order.webhookBody = JSON.stringify({
      event: succeeded ? 'payment.succeeded' : 'payment.failed',
      orderId: order.orderId,
      reference: order.reference,
      amount: order.amount,
      paymentId: order.paymentId,
      status: order.status,
      at: order.settledAt,
    });
    const webhook = await deliver(order, order.webhookBody);
    if (fromForm) {
      return page(
        res,
        'Payment done',
        `<h1>Payment ${order.status}</h1><p>Webhook ${webhook.delivered ? 'delivered' : 'not delivered'}.</p>`,
      );
    }
    res.json({ orderId: order.orderId, status: order.status, paymentId: order.paymentId, webhook });
  });

  app.post('/pay/:orderId/resend-webhook', async (req, res) => {
    const order = orders.get(req.params.orderId);
    if (!order) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    if (!order.webhookBody)
      return res.status(409).json({ error: { code: 'NOT_SETTLED', message: 'Nothing sent yet' } });
    res.json(await deliver(order, order.webhookBody));
  });

  app.use(jsonErrors);
  return { app, close: () => timers.close() };
}
