import { z } from 'zod';
import { enforceRate } from '../../auth/rate-limit';
import { AppError } from '../../errors';
import { aadhaarNumberSchema, otpSchema, panNameSchema, panSchema } from '../../kyc/formats';
import type { KycView } from '../../kyc/service';
import { kycStatuses } from '../../kyc/types';
import { maskAadhaar, maskPan } from '../../security/pii';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { noteSchema, userIdParams } from '../schemas';
import { rawBodyOf, validSignature } from '../webhooks';

const kycSchema = z.object({
  userId: z.string(),
  tier: z.enum(['none', 'min', 'full']),
  status: z.enum(kycStatuses),
  reason: z.string().nullable().describe('why the last step was rejected, e.g. NAME_MISMATCH'),
  reKycRequired: z.boolean().describe('spending is blocked until Aadhaar and PAN are verified again'),
  reKycDueAt: z.string().nullable(),
  aadhaar: z.string().nullable().describe('masked: XXXX XXXX 1234'),
  pan: z.string().nullable().describe('masked: XXXXXX234F'),
  updatedAt: z.string(),
});

function kycView(k: KycView) {
  return {
    userId: k.userId,
    tier: k.tier,
    status: k.status,
    reason: k.reason,
    reKycRequired: k.reKycRequired,
    reKycDueAt: k.reKycDueAt?.toISOString() ?? null,
    aadhaar: k.aadhaarLast4 ? maskAadhaar(k.aadhaarLast4) : null,
    pan: k.panLast4 ? maskPan(k.panLast4) : null,
    updatedAt: k.updatedAt.toISOString(),
  };
}

const otpSentSchema = z.object({ status: z.literal('otp_sent'), expiresAt: z.string() });
const verdictSchema = z.object({
  status: z.enum(['verified', 'invalid_otp', 'otp_expired', 'attempts_exceeded', 'rejected']),
  tier: z.enum(['none', 'min', 'full']).optional(),
  attemptsLeft: z.number().int().optional(),
  reason: z.string().optional(),
});
const unavailable = {
  description: 'The KYC provider is unavailable: details.status "provider_unavailable", retry later',
};

const panWebhookBody = z.object({
  event: z.literal('pan.verification.completed'),
  requestId: z.string().min(1).max(64),
  status: z.enum(['VERIFIED', 'REJECTED']),
  reason: z.string().max(64).nullable(),
});

export function kycRoutes({ router, publicRouter, registry, deps }: RouteContext): void {
  const tags = ['kyc'];
  const perHour = deps.config.auth.otpPerMobilePerHour;
  const rateLimited = {
    description: `More than ${perHour} codes of this kind for the caller in an hour (Retry-After)`,
  };
  /** Each code costs an SMS or a provider call: a few an hour per user and kind. */
  const limitCodes = (res: Parameters<typeof enforceRate>[1], userId: string, kind: 'mobile' | 'aadhaar') =>
    enforceRate(
      deps.auth.durableLimiter,
      res,
      `kyc-${kind}-otp:${userId}`,
      { limit: perHour, windowSeconds: 3600 },
      `${kind} KYC codes`,
    );
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/mobile/otp',
      summary: "Send a 6-digit code by SMS to the caller's registered mobile (step to the min tier)",
      tags,
      responses: { 202: { description: 'Sent', schema: otpSentSchema }, 429: rateLimited, 503: unavailable },
      errors: ['FORBIDDEN', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ res }) => {
      const caller = callerOf(res);
      await limitCodes(res, caller.id, 'mobile');
      res.status(202).json(await deps.kyc.requestMobileOtp(caller));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/mobile/verify',
      summary: 'Check the mobile code: verified (tier min), or invalid_otp with attemptsLeft (3 tries a code)',
      tags,
      body: z.object({ otp: otpSchema }),
      responses: { 200: { description: 'The verdict', schema: verdictSchema }, 503: unavailable },
      errors: ['FORBIDDEN', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ body, res }) => {
      res.json(await deps.kyc.verifyMobileOtp(callerOf(res), body.otp));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/aadhaar/otp',
      summary: 'Ask the provider to send an Aadhaar OTP (12 digits with a valid Verhoeff check digit)',
      tags,
      body: z.object({ aadhaarNumber: aadhaarNumberSchema }),
      responses: { 202: { description: 'Sent', schema: otpSentSchema }, 429: rateLimited, 503: unavailable },
      errors: ['FORBIDDEN', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ body, res }) => {
      const caller = callerOf(res);
      await limitCodes(res, caller.id, 'aadhaar');
      res.status(202).json(await deps.kyc.requestAadhaarOtp(caller, body.aadhaarNumber));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/aadhaar/verify',
      summary: 'Check the Aadhaar OTP: verified, or invalid_otp with attemptsLeft (3 tries an OTP)',
      tags,
      body: z.object({ otp: otpSchema }),
      responses: { 200: { description: 'The verdict', schema: verdictSchema }, 503: unavailable },
      errors: ['FORBIDDEN', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ body, res }) => {
      res.json(await deps.kyc.verifyAadhaarOtp(callerOf(res), body.otp));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/pan',
      summary:
        'Submit the PAN and the name on it; the verdict arrives later (GET /v1/kyc/:userId): full tier or rejected',
      tags,
      body: z.object({ pan: panSchema, name: panNameSchema }),
      responses: {
        202: { description: 'Submitted', schema: z.object({ status: z.literal('pan_pending') }) },
        503: unavailable,
      },
      errors: ['FORBIDDEN', 'CONFLICT', 'UNAVAILABLE'],
    },
    async ({ body, res }) => {
      res.status(202).json(await deps.kyc.submitPan(callerOf(res), body.pan, body.name));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/kyc/:userId',
      summary: "A user's KYC tier and status (identifiers masked)",
      tags,
      params: userIdParams,
      responses: { 200: { description: 'KYC state', schema: kycSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, res }) => {
      res.json(kycView(await deps.kyc.view(callerOf(res), params.userId)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/kyc/:userId/re-kyc',
      summary: 'Require re-KYC (admin, support): the user cannot spend until Aadhaar and PAN are verified again',
      tags,
      params: userIdParams,
      body: z.object({ reason: noteSchema }),
      responses: {
        202: {
          description: 'Requested',
          schema: z.object({ userId: z.string(), status: z.literal('re_kyc_requested') }),
        },
      },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, body, res }) => {
      await deps.kyc.requireReKyc(callerOf(res), params.userId, body.reason);
      res.status(202).json({ userId: params.userId, status: 're_kyc_requested' });
    },
  );

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/webhooks/kyc',
      summary: 'KYC provider webhook (PAN verdicts), signed with HMAC-SHA256 of the body in X-Signature',
      tags: ['webhooks'],
      auth: false,
      body: panWebhookBody,
      responses: { 200: { description: 'Received' } },
      errors: ['UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT'],
    },
    async ({ body, req, res }) => {
      if (!validSignature(deps.config.kyc.webhookSecret, rawBodyOf(req), req.header('x-signature'))) {
        throw new AppError('UNAUTHENTICATED', 'Invalid webhook signature');
      }
      await deps.kyc.panWebhook({ requestId: body.requestId, status: body.status, reason: body.reason });
      res.json({ received: true });
    },
  );
}
