import type { Request, Response } from 'express';
import { z } from 'zod';
import { mpinPattern, type MpinStatus } from '../../auth/mpin';
import { enforceRate } from '../../auth/rate-limit';
import { originOf } from '../../auth/step-up';
import { AppError } from '../../errors';
import { canManage } from '../../users/hierarchy';
import { callerOf } from '../auth';
import type { RouteContext } from '../context';
import { defineRoute } from '../route';
import { idParams, idSchema, mobileSchema, newMpinSchema } from '../schemas';

const sixDigits = z.string().regex(mpinPattern, '6 digits');

const tokenPairSchema = z.object({
  accessToken: z.string().describe('JWT for Authorization: Bearer; lives expiresIn seconds'),
  refreshToken: z.string().describe('One-time: POST /v1/auth/refresh spends it and returns the next pair'),
  expiresIn: z.number().int(),
});

const mpinStatusSchema = z.object({
  userId: z.string(),
  mpinSet: z.boolean(),
  lockedUntil: z.string().nullable(),
  frozen: z.boolean(),
});

function mpinStatusView(s: MpinStatus) {
  return { userId: s.userId, mpinSet: s.mpinSet, lockedUntil: s.lockedUntil?.toISOString() ?? null, frozen: s.frozen };
}

export function authRoutes({ router, publicRouter, registry, deps }: RouteContext): void {
  const tags = ['authentication'];
  const cfg = deps.config.auth;
  const limitByIp = (req: Request, res: Response) =>
    enforceRate(
      deps.auth.localLimiter,
      res,
      `auth-ip:${req.ip ?? 'unknown'}`,
      cfg.ipRateLimit,
      'authentication requests',
    );

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/auth/otp',
      summary:
        'Portal sign-in, step 1: send a one-time code by SMS to a registered mobile. The answer is the same for every number',
      tags,
      auth: false,
      body: z.object({ mobile: mobileSchema }),
      responses: {
        202: { description: 'Challenge', schema: z.object({ challengeId: z.string(), expiresAt: z.string() }) },
        429: { description: `More than ${cfg.otpPerMobilePerHour} codes for this mobile in an hour (Retry-After)` },
      },
      errors: ['RATE_LIMITED'],
    },
    async ({ body, req, res }) => {
      await limitByIp(req, res);
      await enforceRate(
        deps.auth.durableLimiter,
        res,
        deps.auth.otp.mobileBucket(body.mobile),
        { limit: cfg.otpPerMobilePerHour, windowSeconds: 3600 },
        'sign-in codes for this mobile',
      );
      const c = await deps.auth.otp.request(body.mobile);
      res.status(202).json({ challengeId: c.challengeId, expiresAt: c.expiresAt.toISOString() });
    },
  );

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/auth/otp/verify',
      summary: `Portal sign-in, step 2: the code from the SMS (${cfg.otpMaxAttempts} tries a challenge) for a session`,
      tags,
      auth: false,
      body: z.object({ challengeId: idSchema, otp: sixDigits }),
      responses: { 200: { description: 'Signed in', schema: tokenPairSchema } },
      errors: ['UNAUTHENTICATED', 'USER_SUSPENDED', 'RATE_LIMITED'],
    },
    async ({ body, req, res }) => {
      await limitByIp(req, res);
      res.json(await deps.auth.signIn(body.challengeId, body.otp, originOf(req)));
    },
  );

  defineRoute(
    publicRouter,
    registry,
    {
      method: 'post',
      path: '/v1/auth/refresh',
      summary: 'A new token pair for a refresh token, which is spent; presenting a spent one ends the whole session',
      tags,
      auth: false,
      body: z.object({ refreshToken: z.string().min(1).max(256) }),
      responses: { 200: { description: 'The next pair', schema: tokenPairSchema } },
      errors: ['UNAUTHENTICATED', 'RATE_LIMITED'],
    },
    async ({ body, req, res }) => {
      await limitByIp(req, res);
      res.json(await deps.auth.sessions.refresh(body.refreshToken, originOf(req)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/auth/logout',
      summary: "End the caller's session: its access and refresh tokens stop working (session tokens only)",
      tags,
      responses: { 204: { description: 'Signed out' } },
      errors: ['FORBIDDEN'],
    },
    async ({ req, res }) => {
      await limitByIp(req, res);
      const caller = callerOf(res);
      const sessionId = res.locals.sessionId as string | undefined;
      if (!sessionId) {
        throw new AppError(
          'FORBIDDEN',
          'Only a portal session signs out; revoke an API key with DELETE /v1/api-keys/:id',
        );
      }
      await deps.auth.sessions.revoke(sessionId, 'logout', caller.id, originOf(req));
      res.status(204).end();
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/me/mpin',
      summary:
        "Set the caller's 6-digit mPIN (not a trivial sequence), or change it with currentMpin; wrong tries count toward the lock",
      tags,
      body: z.object({ mpin: newMpinSchema, currentMpin: sixDigits.optional() }),
      responses: { 204: { description: 'Set' } },
      errors: ['STEP_UP_REQUIRED', 'USER_SUSPENDED'],
    },
    async ({ body, req, res }) => {
      await limitByIp(req, res);
      await deps.auth.mpins.set(callerOf(res).id, body.mpin, body.currentMpin, originOf(req));
      res.status(204).end();
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/users/:id/mpin',
      summary: "A user's mPIN state: set, locked until, frozen (never the mPIN)",
      tags,
      params: idParams,
      responses: { 200: { description: 'mPIN state', schema: mpinStatusSchema } },
      errors: ['NOT_FOUND'],
    },
    async ({ params, res }) => {
      const user = await deps.users.visible(callerOf(res), params.id);
      res.json(mpinStatusView(await deps.auth.mpins.status(user.id)));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/users/:id/unlock-mpin',
      summary: "Clear a user's mPIN lock and money-movement freeze (an upline or an admin; audited)",
      tags,
      params: idParams,
      responses: { 200: { description: 'mPIN state', schema: mpinStatusSchema } },
      errors: ['FORBIDDEN', 'NOT_FOUND'],
    },
    async ({ params, req, res }) => {
      const caller = callerOf(res);
      const user = await deps.users.visible(caller, params.id);
      if (user.id === caller.id || !canManage(caller, user)) {
        throw new AppError('FORBIDDEN', "Only an upline or an admin can unlock a user's mPIN");
      }
      res.json(mpinStatusView(await deps.auth.mpins.unlock(caller.id, user.id, originOf(req))));
    },
  );
}
