/**
 * Provider "alpha": a JSON API with an API key header and amounts in paise.
 *
 *   POST /providers/alpha/recharge        X-Api-Key; {clientRef, operator, subscriber, amount, circle?}
 *   GET  /providers/alpha/status/:clientRef   X-Api-Key
 *   GET  /providers/alpha/lookup?subscriber=  X-Api-Key; {subscriber, operator, circle} or 404
 *   GET  /providers/alpha/account/balance     X-Api-Key; {balance (paise), currency}
 *   (the same balance, without the key, is the common GET /providers/alpha/balance, see control.ts)
 *
 * Answers {status, txnId, clientRef, operatorRef, errorCode, message, amount}; status is SUCCESS,
 * PENDING, FAILED or REVERSED (NOT_FOUND with HTTP 404 from a status check of an unknown clientRef).
 * Callbacks: POST JSON {clientRef, txnId, status, operatorRef, errorCode, message, amount, at}.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { issues, sameSecret } from '../http';
import type { FailureReason, OperatorEngine, ProviderTxn, ProviderWire } from './engine';
import { OPERATOR_KINDS, type Operator } from './operators';
import { answerSubmission, unlessDown } from './submission';
import { OPERATOR_LOOKUPS } from './subscribers';

export const ALPHA = 'alpha';

/** alpha uses our own operator codes. */
const operators = new Set<string>(Object.keys(OPERATOR_KINDS));

export const ALPHA_ERROR_CODES: Record<FailureReason, string> = {
  INVALID_NUMBER: 'INVALID_NUMBER',
  INVALID_AMOUNT: 'INVALID_AMOUNT',
  OPERATOR_NOT_SUPPORTED: 'OPERATOR_NOT_SUPPORTED',
  OPERATOR_FAILURE: 'OPERATOR_FAILURE',
  LOW_BALANCE: 'LOW_BALANCE',
};

const messages: Record<ProviderTxn['status'], string> = {
  SUCCESS: 'Recharge successful',
  PENDING: 'Recharge is being processed',
  FAILED: 'Recharge failed',
  REVERSED: 'Recharge reversed by the operator; amount refunded',
};

const failureMessages: Record<FailureReason, string> = {
  INVALID_NUMBER: 'Invalid subscriber number',
  INVALID_AMOUNT: 'Invalid amount for this operator',
  OPERATOR_NOT_SUPPORTED: 'Operator not supported',
  OPERATOR_FAILURE: 'Transaction failed at operator',
  LOW_BALANCE: 'Insufficient balance with provider',
};

function view(txn: ProviderTxn) {
  return {
    status: txn.status,
    txnId: txn.txnId,
    clientRef: txn.clientRef,
    operatorRef: txn.operatorRef,
    errorCode: txn.failure ? ALPHA_ERROR_CODES[txn.failure] : null,
    message: txn.failure ? failureMessages[txn.failure] : messages[txn.status],
    amount: txn.amount,
  };
}

export const alphaWire: ProviderWire = {
  name: ALPHA,
  txnIdPrefix: 'ALP',
  callback: (txn) => ({
    contentType: 'application/json',
    body: JSON.stringify({ ...view(txn), at: txn.updatedAt }),
  }),
};

const submitBody = z.object({
  clientRef: z.string().min(1).max(64),
  operator: z.string().min(1).max(32),
  subscriber: z.string().min(1).max(32),
  amount: z.number(),
  circle: z.string().max(32).optional(),
});

function refuse(
  res: Response,
  httpStatus: number,
  errorCode: string,
  message: string,
  clientRef: string | null = null,
) {
  res
    .status(httpStatus)
    .json({ status: 'FAILED', txnId: null, clientRef, operatorRef: null, errorCode, message, amount: null });
}

export function alphaRouter(engine: OperatorEngine, apiKey: string): Router {
  const router = express.Router();
  const authorised = (req: Request) => sameSecret(req.get('x-api-key'), apiKey);

  router.post('/recharge', express.json({ limit: '16kb' }), async (req, res) => {
    if (!authorised(req)) return refuse(res, 401, 'AUTH_FAILED', 'Invalid API key');
    const parsed = submitBody.safeParse(req.body);
    if (!parsed.success) {
      return refuse(
        res,
        400,
        'BAD_REQUEST',
        issues(parsed.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; '),
      );
    }
    const b = parsed.data;
    await answerSubmission(engine, ALPHA, res, {
      request: {
        clientRef: b.clientRef,
        operatorCode: b.operator,
        operator: operators.has(b.operator) ? (b.operator as Operator) : undefined,
        subscriber: b.subscriber,
        amount: Number.isInteger(b.amount) ? b.amount : undefined,
      },
      answer: (txn) => res.json(view(txn)),
    });
  });

  router.get('/status/:clientRef', unlessDown(engine, ALPHA), (req, res) => {
    if (!authorised(req)) return refuse(res, 401, 'AUTH_FAILED', 'Invalid API key');
    const clientRef = String(req.params.clientRef);
    const txn = engine.find(ALPHA, clientRef);
    if (!txn) {
      return res.status(404).json({
        status: 'NOT_FOUND',
        txnId: null,
        clientRef,
        operatorRef: null,
        errorCode: 'TXN_NOT_FOUND',
        message: 'No transaction with this clientRef',
        amount: null,
      });
    }
    res.json(view(txn));
  });

  router.get('/account/balance', unlessDown(engine, ALPHA), (req, res) => {
    if (!authorised(req)) return refuse(res, 401, 'AUTH_FAILED', 'Invalid API key');
    res.json({ balance: engine.balance(ALPHA), currency: 'INR' });
  });

  router.get('/lookup', unlessDown(engine, ALPHA), (req, res) => {
    if (!authorised(req)) return refuse(res, 401, 'AUTH_FAILED', 'Invalid API key');
    const subscriber = String(req.query.subscriber ?? '');
    const found = OPERATOR_LOOKUPS[subscriber];
    if (!found) return res.status(404).json({ subscriber, errorCode: 'NOT_FOUND', message: 'Number not known' });
    res.json({ subscriber, ...found });
  });

  return router;
}
