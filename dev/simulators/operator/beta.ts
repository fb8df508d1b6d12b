/**
 * Provider "beta": a Roundpay-style API taking query-string or form parameters, credentials as
 * parameters, its own operator codes and amounts in rupees.
 *
 *   GET|POST /providers/beta/api/recharge  userid, token, opcode, number, amt ("199" or "199.00"), reqid, circle?
 *   GET|POST /providers/beta/api/status    userid, token, reqid
 *   GET|POST /providers/beta/api/balance   userid, token
 *
 * Always HTTP 200 (except 503 when down): {result:{code, err, text}, data:{txn_id, reqid, opr_ref, number, amt, bal}}
 * with result.code 00 success, 01 pending, 99 failed, 04 reversed; result.err is BETA_ERROR_CODES.
 * Callbacks: POST application/x-www-form-urlencoded status, err, msg, reqid, txn_id, opr_ref, number, amt.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { sameSecret } from '../http';
import type { FailureReason, OperatorEngine, ProviderTxn, ProviderWire, TxnStatus } from './engine';
import type { Operator } from './operators';
import { answerSubmission, unlessDown } from './submission';

export const BETA = 'beta';

export const BETA_OPERATOR_CODES: Record<string, Operator> = {
  RJ: 'JIO',
  AT: 'AIRTEL',
  VI: 'VI',
  BT: 'BSNL', // BSNL TopUp
  BS: 'BSNL', // BSNL Special (STV)
  TS: 'TATAPLAY',
  AD: 'AIRTELDTH',
  DT: 'DISHTV',
  VD: 'D2H',
  SD: 'SUNDIRECT',
};

export const BETA_STATUS_CODES: Record<TxnStatus, string> = {
  SUCCESS: '00',
  PENDING: '01',
  FAILED: '99',
  REVERSED: '04',
};

/** result.err values: 1xx the request (subscriber side), 2xx the provider, 3xx our call itself. */
export const BETA_ERROR_CODES = {
  INVALID_NUMBER: '101',
  INVALID_AMOUNT: '102',
  TXN_NOT_FOUND: '105',
  OPERATOR_NOT_SUPPORTED: '201',
  OPERATOR_FAILURE: '202',
  LOW_BALANCE: '203',
  AUTH_FAILED: '301',
  BAD_PARAMETERS: '302',
} as const satisfies Record<FailureReason | 'TXN_NOT_FOUND' | 'AUTH_FAILED' | 'BAD_PARAMETERS', string>;

const texts: Record<TxnStatus, string> = {
  SUCCESS: 'Recharge Success',
  PENDING: 'Request Accepted, Pending',
  FAILED: 'Recharge Failed',
  REVERSED: 'Recharge Refunded',
};

const failureTexts: Record<FailureReason, string> = {
  INVALID_NUMBER: 'Invalid Mobile/Subscriber Number',
  INVALID_AMOUNT: 'Invalid Amount',
  OPERATOR_NOT_SUPPORTED: 'Operator Down or Not Supported',
  OPERATOR_FAILURE: 'Failed at Operator',
  LOW_BALANCE: 'Low Balance',
};

export function rupees(paise: number): string {
  return `${Math.trunc(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;
}

/** "199", "199.5" or "199.50" → 19950; anything else undefined. */
export function paiseFromRupees(amt: string): number | undefined {
  const m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(amt.trim());
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function result(txn: ProviderTxn) {
  return {
    code: BETA_STATUS_CODES[txn.status],
    err: txn.failure ? BETA_ERROR_CODES[txn.failure] : null,
    text: txn.failure ? failureTexts[txn.failure] : texts[txn.status],
  };
}

export const betaWire: ProviderWire = {
  name: BETA,
  txnIdPrefix: 'BT',
  callback: (txn) => {
    const r = result(txn);
    const form = new URLSearchParams({
      status: r.code,
      err: r.err ?? '',
      msg: r.text,
      reqid: txn.clientRef,
      txn_id: txn.txnId,
      opr_ref: txn.operatorRef ?? '',
      number: txn.subscriber,
      amt: rupees(txn.amount),
    });
    return { contentType: 'application/x-www-form-urlencoded', body: form.toString() };
  },
};

const credentials = z.object({ userid: z.string(), token: z.string() });
const rechargeParams = credentials.extend({
  opcode: z.string().min(1).max(8),
  number: z.string().min(1).max(32),
  amt: z.string().min(1).max(16),
  reqid: z.string().min(1).max(64),
  circle: z.string().max(32).optional(),
});
const statusParams = credentials.extend({ reqid: z.string().min(1).max(64) });

/** Parameters from the query string and, for POST, the form body. */
function params(req: Request): Record<string, unknown> {
  return { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown> | undefined) ?? {}) };
}

function failure(res: Response, err: string, text: string): void {
  res.json({ result: { code: BETA_STATUS_CODES.FAILED, err, text }, data: null });
}

export function betaRouter(engine: OperatorEngine, creds: { userid: string; token: string }): Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const read = <T extends z.ZodType>(schema: T, req: Request, res: Response): z.infer<T> | undefined => {
    const parsed = schema.safeParse(params(req));
    if (!parsed.success) {
      failure(
        res,
        BETA_ERROR_CODES.BAD_PARAMETERS,
        `Missing or invalid parameter: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      );
      return undefined;
    }
    const p = parsed.data as z.infer<typeof credentials>;
    if (!sameSecret(p.userid, creds.userid) || !sameSecret(p.token, creds.token)) {
      failure(res, BETA_ERROR_CODES.AUTH_FAILED, 'Authentication Failed');
      return undefined;
    }
    return parsed.data;
  };

  const view = (txn: ProviderTxn) => ({
    result: result(txn),
    data: {
      txn_id: txn.txnId,
      reqid: txn.clientRef,
      opr_ref: txn.operatorRef,
      number: txn.subscriber,
      amt: rupees(txn.amount),
      bal: rupees(engine.balance(BETA)),
    },
  });

  router.all('/api/recharge', async (req, res) => {
    const p = read(rechargeParams, req, res);
    if (!p) return;
    await answerSubmission(engine, BETA, res, {
      request: {
        clientRef: p.reqid,
        operatorCode: p.opcode,
        operator: BETA_OPERATOR_CODES[p.opcode.toUpperCase()],
        subscriber: p.number,
        amount: paiseFromRupees(p.amt),
      },
      answer: (txn) => res.json(view(txn)),
    });
  });

  router.all('/api/status', unlessDown(engine, BETA), (req, res) => {
    const p = read(statusParams, req, res);
    if (!p) return;
    const txn = engine.find(BETA, p.reqid);
    if (!txn) return failure(res, BETA_ERROR_CODES.TXN_NOT_FOUND, 'No Transaction Found');
    res.json(view(txn));
  });

  router.all('/api/balance', unlessDown(engine, BETA), (req, res) => {
    if (!read(credentials, req, res)) return;
    res.json({
      result: { code: BETA_STATUS_CODES.SUCCESS, err: null, text: 'OK' },
      data: { bal: rupees(engine.balance(BETA)) },
    });
  });

  return router;
}
