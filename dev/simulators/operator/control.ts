import express, { type Router } from 'express';
import { z } from 'zod';
import { issues } from '../http';
import type { OperatorEngine } from './engine';

const controlBody = z
  .object({ down: z.boolean().optional(), balance: z.number().int().min(0).optional() })
  .refine((b) => b.down !== undefined || b.balance !== undefined, 'give down and/or balance');
const statusBody = z.object({ provider: z.string(), status: z.enum(['SUCCESS', 'PENDING', 'FAILED', 'REVERSED']) });

/**
 * For tests and people, not adapters:
 *   GET  /control/providers                     every provider's {name, down, balance}
 *   POST /control/providers/:name {down?, balance?}   simulate an outage (503s) or set the balance (paise)
 *   GET  /control/transactions/:clientRef        {clientRef, submissions, status, provider, attempts}
 *   POST /control/transactions/:clientRef {provider, status}   what that provider's status checks answer
 *                                                from now on (no callback is sent)
 *   GET  /providers/:name/transactions/:clientRef   the provider's full record, callbacks included
 *   GET  /providers/:name/balance               {provider, balance (paise), currency}
 */
export function controlRouter(engine: OperatorEngine): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));

  router.get('/control/providers', (_req, res) => {
    res.json({ providers: engine.providerNames.map((name) => ({ name, ...engine.control(name, {}) })) });
  });

  router.post('/control/providers/:name', (req, res) => {
    if (!engine.hasProvider(req.params.name)) return res.status(404).json({ error: { code: 'UNKNOWN_PROVIDER' } });
    const parsed = controlBody.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(parsed.error) } });
    res.json(engine.control(req.params.name, parsed.data));
  });

  router.get('/control/transactions/:clientRef', (req, res) => {
    const summary = engine.summary(req.params.clientRef);
    if (!summary) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    res.json(summary);
  });

  router.post('/control/transactions/:clientRef', (req, res) => {
    const parsed = statusBody.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(parsed.error) } });
    const { provider, status } = parsed.data;
    if (!engine.hasProvider(provider)) return res.status(404).json({ error: { code: 'UNKNOWN_PROVIDER' } });
    const txn = engine.setStatus(provider, req.params.clientRef, status);
    if (!txn) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    res.json(txn);
  });

  router.get('/providers/:name/transactions/:clientRef', (req, res) => {
    const txn = engine.hasProvider(req.params.name) ? engine.find(req.params.name, req.params.clientRef) : undefined;
    if (!txn) return res.status(404).json({ error: { code: 'NOT_FOUND' } });
    res.json(txn);
  });

  router.get('/providers/:name/balance', (req, res) => {
    if (!engine.hasProvider(req.params.name)) return res.status(404).json({ error: { code: 'UNKNOWN_PROVIDER' } });
    res.json({ provider: req.params.name, balance: engine.balance(req.params.name), currency: 'INR' });
  });

  return router;
}
