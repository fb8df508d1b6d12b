/**
 * KYC provider simulator: Aadhaar OTP (eKYC) and PAN verification with an asynchronous result.
 *
 *   POST /aadhaar/otp     {aadhaarNumber}        → 200 {requestId, expiresAt} | 400 INVALID_AADHAAR | 503
 *   POST /aadhaar/verify  {requestId, otp}       → 200 {requestId, status: VERIFIED|INVALID_OTP|EXPIRED|ATTEMPTS_EXCEEDED, ...} | 404
 *   GET  /otps?aadhaarLast4=                     → {items: [{requestId, aadhaarLast4, otp, sentAt, expiresAt}]} newest first
 *   POST /pan             {pan, name, clientRef} → 202 {requestId, clientRef, status: PENDING} (same clientRef, same request)
 *   GET  /pan/:requestId                         → {requestId, clientRef, status: PENDING|VERIFIED|REJECTED, reason, ...}
 *
 * A PAN result is POSTed as JSON to the webhook URL, with the hex HMAC-SHA256 of the body in X-Signature:
 *   {event: "pan.verification.completed", requestId, clientRef, status, reason, nameOnPan, maskedPan, at}
 *
 * Test inputs (KYC_TEST_INPUTS):
 *   Aadhaar 999900000016  OTP sent; the right OTP verifies as "Asha Verma", any other is INVALID_OTP
 *   Aadhaar 999900000028  provider down: 503 on the OTP request
 *   Aadhaar 999900000017  fails the Verhoeff check: 400 INVALID_AADHAAR
 *   any other valid Aadhaar behaves like the first, with a name derived from the number
 *   PAN ABCPE1234F        VERIFIED (as does any other well-formed PAN), nameOnPan = the name given
 *   PAN AAAPN0000M        REJECTED, reason NAME_MISMATCH
 *   PAN AAAPW0000W        VERIFIED, but the webhook never comes: only GET /pan/:requestId tells
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { z } from 'zod';
import { isValidAadhaarNumber } from '../../src/kyc/verhoeff';
import type { Logger } from '../../src/logger';
import { BoundedMap, RecentList, Timers } from './bounded';
import { issues, jsonErrors, type Delivery } from './http';
import { deliverWithRetries } from './webhooks';

export const KYC_TEST_INPUTS = {
  aadhaar: {
    success: '999900000016',
    providerDown: '999900000028',
    badCheckDigit: '999900000017',
  },
  pan: {
    success: 'ABCPE1234F',
    nameMismatch: 'AAAPN0000M',
    webhookNeverSent: 'AAAPW0000W',
  },
} as const;

const namedHolders: Record<string, string> = { [KYC_TEST_INPUTS.aadhaar.success]: 'Asha Verma' };
const otherNames = ['Ravi Kumar', 'Priya Sharma', 'Mohammed Irfan', 'Lakshmi Iyer', 'Gurpreet Singh', 'Ananya Das'];

function holderName(aadhaar: string): string {
  return namedHolders[aadhaar] ?? otherNames[createHash('sha256').update(aadhaar).digest()[0]! % otherNames.length]!;
}

export interface KycSimulatorOptions {
  /** `<apiBaseUrl>/v1/webhooks/kyc` */
  webhookUrl: string;
  webhookSecret: string;
  log: Logger;
  /** Default 10 minutes. */
  otpTtlMs?: number;
  /** Wrong OTPs allowed per request. Default 3. */
  maxOtpAttempts?: number;
  /** How long PAN verification takes. Default 2000. */
  panResultDelayMs?: number;
  /** Redelivery waits for a webhook not answered 2xx. Default [1000, 5000]. */
  webhookRetryDelaysMs?: number[];
  maxRecords?: number;
}

interface OtpRequest {
  requestId: string;
  aadhaar: string;
  otp: string;
  sentAt: string;
  expiresAt: string;
  wrongAttempts: number;
  verified: boolean;
}

type PanStatus = 'PENDING' | 'VERIFIED' | 'REJECTED';

interface PanRequest {
  requestId: string;
  clientRef: string;
  pan: string;
  name: string;
  status: PanStatus;
  reason: 'NAME_MISMATCH' | null;
  nameOnPan: string | null;
  createdAt: string;
  completedAt: string | null;
  webhooks: Delivery[];
}

const otpBody = z.object({ aadhaarNumber: z.string() });
const verifyBody = z.object({ requestId: z.string().min(1).max(64), otp: z.string().min(1).max(16) });
const panBody = z.object({
  pan: z
    .string()
    .transform((p) => p.trim().toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{5}\d{4}[A-Z]$/, 'a PAN is 5 letters, 4 digits, 1 letter')),
  name: z.string().trim().min(1).max(100),
  clientRef: z.string().min(1).max(64),
});
const otpsQuery = z.object({
  aadhaarLast4: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
});

const maskPan = (pan: string) => `${pan.slice(0, 5)}****${pan.slice(9)}`;

export interface KycSimulator {
  app: Express;
  close(): void;
}

export function createKycSimulator(opts: KycSimulatorOptions): KycSimulator {
  const otpTtlMs = opts.otpTtlMs ?? 10 * 60_000;
  const maxAttempts = opts.maxOtpAttempts ?? 3;
  const maxRecords = opts.maxRecords ?? 10_000;
  const otps = new BoundedMap<string, OtpRequest>(maxRecords);
  const sent = new RecentList<OtpRequest>(maxRecords);
  const pans = new BoundedMap<string, PanRequest>(maxRecords);
  const panByClientRef = new BoundedMap<string, string>(maxRecords);
  const timers = new Timers();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '8kb' }));
  const badRequest = (res: express.Response, error: z.ZodError) =>
    res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(error) } });

  app.post('/aadhaar/otp', (req, res) => {
    const parsed = otpBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const aadhaar = parsed.data.aadhaarNumber.replace(/\s/g, '');
    if (!isValidAadhaarNumber(aadhaar)) {
      return res.status(400).json({ error: { code: 'INVALID_AADHAAR', message: 'Not a valid Aadhaar number' } });
    }
    if (aadhaar === KYC_TEST_INPUTS.aadhaar.providerDown) {
      return res.status(503).json({ error: { code: 'UIDAI_UNAVAILABLE', message: 'UIDAI service unavailable' } });
    }
    const now = Date.now();
    const request: OtpRequest = {
      requestId: randomUUID(),
      aadhaar,
      otp: String(randomInt(0, 1_000_000)).padStart(6, '0'),
      sentAt: new Date(now).toISOString(),
      expiresAt: new Date(now + otpTtlMs).toISOString(),
      wrongAttempts: 0,
      verified: false,
    };
    otps.set(request.requestId, request);
    sent.add(request);
    res.json({ requestId: request.requestId, expiresAt: request.expiresAt });
  });

  app.post('/aadhaar/verify', (req, res) => {
    const parsed = verifyBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const request = otps.get(parsed.data.requestId);
    if (!request) return res.status(404).json({ error: { code: 'UNKNOWN_REQUEST' } });
    const { requestId } = request;
    // A repeat of a successful verification answers the same (our side may retry after a lost answer).
    if (request.verified && parsed.data.otp === request.otp) {
      return res.json({
        requestId,
        status: 'VERIFIED',
        name: holderName(request.aadhaar),
        aadhaarLast4: request.aadhaar.slice(-4),
      });
    }
    if (request.verified || Date.parse(request.expiresAt) <= Date.now())
      return res.json({ requestId, status: 'EXPIRED' });
    if (request.wrongAttempts >= maxAttempts) return res.json({ requestId, status: 'ATTEMPTS_EXCEEDED' });
    if (parsed.data.otp !== request.otp) {
      request.wrongAttempts += 1;
      return res.json({ requestId, status: 'INVALID_OTP', attemptsLeft: maxAttempts - request.wrongAttempts });
    }
    request.verified = true;
    res.json({
      requestId,
      status: 'VERIFIED',
      name: holderName(request.aadhaar),
      aadhaarLast4: request.aadhaar.slice(-4),
    });
  });

  app.get('/otps', (req, res) => {
    const parsed = otpsQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const last4 = parsed.data.aadhaarLast4;
    const items = sent
      .newestFirst((r) => last4 === undefined || r.aadhaar.endsWith(last4))
      .map((r) => ({
        requestId: r.requestId,
        aadhaarLast4: r.aadhaar.slice(-4),
        otp: r.otp,
        sentAt: r.sentAt,
        expiresAt: r.expiresAt,
      }));
    res.json({ items });
  });

  const panView = (p: PanRequest) => ({
    requestId: p.requestId,
    clientRef: p.clientRef,
    status: p.status,
    reason: p.reason,
    nameOnPan: p.nameOnPan,
    maskedPan: maskPan(p.pan),
    createdAt: p.createdAt,
    completedAt: p.completedAt,
    webhooks: p.webhooks,
  });

  const completePan = (p: PanRequest) => {
    const mismatch = p.pan === KYC_TEST_INPUTS.pan.nameMismatch;
    p.status = mismatch ? 'REJECTED' : 'VERIFIED';
    p.reason = mismatch ? 'NAME_MISMATCH' : null;
    p.nameOnPan = mismatch ? null : p.name.toUpperCase();
    p.completedAt = new Date().toISOString();
    if (p.pan === KYC_TEST_INPUTS.pan.webhookNeverSent) return;
    const body = JSON.stringify({
      event: 'pan.verification.completed',
      requestId: p.requestId,
      clientRef: p.clientRef,
      status: p.status,
      reason: p.reason,
      nameOnPan: p.nameOnPan,
      maskedPan: maskPan(p.pan),
      at: p.completedAt,
    });
    deliverWithRetries(
      { url: opts.webhookUrl, body, contentType: 'application/json', secret: opts.webhookSecret },
      {
        timers,
        retryDelaysMs: opts.webhookRetryDelaysMs ?? [1000, 5000],
        onAttempt: (d) => p.webhooks.push(d),
        log: opts.log,
      },
    );
  };

  app.post('/pan', (req, res) => {
    const parsed = panBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const { pan, name, clientRef } = parsed.data;
    const existing = pans.get(panByClientRef.get(clientRef) ?? '');
    if (existing) return res.status(202).json({ requestId: existing.requestId, clientRef, status: existing.status });
    const request: PanRequest = {
      requestId: randomUUID(),
      clientRef,
      pan,
      name,
      status: 'PENDING',
      reason: null,
      nameOnPan: null,
      createdAt: new Date().toISOString(),
      completedAt: null,
      webhooks: [],
    };
    pans.set(request.requestId, request);
    panByClientRef.set(clientRef, request.requestId);
    timers.after(opts.panResultDelayMs ?? 2000, () => completePan(request));
    res.status(202).json({ requestId: request.requestId, clientRef, status: request.status });
  });

  app.get('/pan/:requestId', (req, res) => {
    const p = pans.get(req.params.requestId);
    if (!p) return res.status(404).json({ error: { code: 'UNKNOWN_REQUEST' } });
    res.json(panView(p));
  });

  app.use(jsonErrors);
  return { app, close: () => timers.close() };
}
