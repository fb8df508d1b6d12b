import type { RequestHandler, Response } from 'express';
import { accountFrozen } from '../auth/mpin';
import { enforceRate } from '../auth/rate-limit';
import type { AuthServices } from '../auth/services';
import { looksLikeJwt } from '../auth/tokens';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { UserService } from '../users/service';
import type { Caller } from '../users/types';

const bearer = /^Bearer ([\x21-\x7e]{16,1024})$/;

/**
 * Resolves `Authorization: Bearer <token>` to the calling user: an API key (looked up by its hash
 * only; never stored or logged) or a session access token (JWT). Each credential may make
 * API_RATE_LIMIT_PER_MINUTE requests a minute, counted in this process (see MemoryRateLimiter).
 */
export function authenticate(deps: { config: Config; auth: AuthServices; users: UserService }): RequestHandler {
  const perMinute = { limit: deps.config.auth.apiRateLimitPerMinute, windowSeconds: 60 };
  return async (req, res, next) => {
    const m = bearer.exec(req.header('authorization') ?? '');
    if (!m) throw new AppError('UNAUTHENTICATED', 'Missing or malformed Authorization: Bearer <token>');
    const token = m[1]!;
    if (looksLikeJwt(token)) {
      const { caller, sessionId } = await deps.auth.sessions.caller(token);
      await enforceRate(deps.auth.localLimiter, res, `session:${sessionId}`, perMinute, 'requests');
      res.locals.caller = caller;
      res.locals.sessionId = sessionId;
    } else {
      const { caller, keyId } = await deps.users.callerByApiKey(token);
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
