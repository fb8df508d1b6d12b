import type { RequestHandler, Response } from 'express';
import { accountFrozen } from '../auth/mpin';
import { enforceRate } from '../auth/rate-limit';
import type { AuthServices } from '../auth/services';
import { looksLikeJwt, verifyAccessToken } from '../auth/tokens';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { AppError } from '../errors';
import { hashApiKey } from '../users/api-keys';
import type { Caller } from '../users/types';

const bearer = /^Bearer ([\x21-\x7e]{16,1024})$/;

interface CallerRow {
  id: string;
  role: Caller['role'];
  path: string;
  status: Caller['status'];
  parent_id: string | null;
  frozen_at: Date | null;
}

const callerColumns = ['u.id', 'u.role', 'u.path', 'u.status', 'u.parent_id', 'm.frozen_at'];

function toCaller(row: CallerRow): Caller {
  return {
    id: row.id,
    role: row.role,
    path: row.path,
    status: row.status,
    parentId: row.parent_id,
    frozen: row.frozen_at !== null,
  };
}

async function apiKeyCaller(db: Db, key: string): Promise<{ caller: Caller; keyId: string }> {
  const row = (await db('api_keys as k')
    .join('users as u', 'u.id', 'k.user_id')
    .leftJoin('user_mpins as m', 'm.user_id', 'u.id')
    .where('k.key_hash', hashApiKey(key))
    .whereNull('k.revoked_at')
    .first('k.id as keyId', ...callerColumns)) as (CallerRow & { keyId: string }) | undefined;
  if (!row) throw new AppError('UNAUTHENTICATED', 'Unknown or revoked API key');
  // Last-used time to the minute is plenty, and keeps this off every request's write path.
  await db('api_keys')
    .where({ id: row.keyId })
    .andWhere((w) => w.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
    .update({ last_used_at: db.fn.now() });
  return { caller: toCaller(row), keyId: row.keyId };
}

/** A session access token is good only while its session is: revocation takes effect at once. */
async function sessionCaller(db: Db, secret: string, token: string): Promise<{ caller: Caller; sessionId: string }> {
  const claims = verifyAccessToken(secret, token);
  if (!claims) throw new AppError('UNAUTHENTICATED', 'Invalid or expired access token');
  const row = (await db('auth_sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .leftJoin('user_mpins as m', 'm.user_id', 'u.id')
    .where({ 's.id': claims.sid, 's.user_id': claims.sub })
    .whereNull('s.revoked_at')
    .andWhere('s.expires_at', '>', db.fn.now())
    .first(...callerColumns)) as CallerRow | undefined;
  if (!row) throw new AppError('UNAUTHENTICATED', 'This session has ended');
  return { caller: toCaller(row), sessionId: claims.sid };
}

/**
 * Resolves `Authorization: Bearer <token>` to the calling user: an API key (looked up by its hash
 * only; never stored or logged) or a session access token (JWT). Each credential may make
 * API_RATE_LIMIT_PER_MINUTE requests a minute, counted in this process (see MemoryRateLimiter).
 */
export function authenticate(deps: { db: Db; config: Config; auth: AuthServices }): RequestHandler {
  const perMinute = { limit: deps.config.auth.apiRateLimitPerMinute, windowSeconds: 60 };
  return async (req, res, next) => {
    const m = bearer.exec(req.header('authorization') ?? '');
    if (!m) throw new AppError('UNAUTHENTICATED', 'Missing or malformed Authorization: Bearer <token>');
    const token = m[1]!;
    if (looksLikeJwt(token)) {
      const { caller, sessionId } = await sessionCaller(deps.db, deps.config.auth.jwtSecret, token);
      await enforceRate(deps.auth.localLimiter, res, `session:${sessionId}`, perMinute, 'requests');
      res.locals.caller = caller;
      res.locals.sessionId = sessionId;
    } else {
      const { caller, keyId } = await apiKeyCaller(deps.db, token);
      await enforceRate(deps.auth.localLimiter, res, `api-key:${keyId}`, perMinute, 'requests');
      res.locals.caller = caller;
      res.locals.apiKeyId = keyId;
    }
    next();
  };
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new AppError('UNAUTHENTICATED', 'Not authenticated');
  return caller;
}

/** Money-moving actions: the caller must be active, not frozen, and a role that moves money. */
export function requireMoneyMover(caller: Caller): void {
  if (caller.role === 'support') throw new AppError('FORBIDDEN', 'Support users cannot move money');
  if (caller.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
  if (caller.frozen) throw accountFrozen();
}
