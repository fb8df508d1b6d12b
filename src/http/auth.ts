import type { RequestHandler, Response } from 'express';
import type { Db } from '../db/knex';
import { AppError } from '../errors';
import { hashApiKey } from '../users/api-keys';
import type { Caller } from '../users/types';

const bearer = /^Bearer ([\x21-\x7e]{16,512})$/;

/**
 * Resolves `Authorization: Bearer <api key>` to the calling user. Keys are looked up by their
 * hash only; the key itself is never stored or logged.
 */
export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const m = bearer.exec(req.header('authorization') ?? '');
    if (!m) throw new AppError('UNAUTHENTICATED', 'Missing or malformed Authorization: Bearer <token>');
    const row = (await db('api_keys as k')
      .join('users as u', 'u.id', 'k.user_id')
      .where('k.key_hash', hashApiKey(m[1]!))
      .whereNull('k.revoked_at')
      .first('k.id as keyId', 'u.id', 'u.role', 'u.path', 'u.status', 'u.parent_id')) as
      | { keyId: string; id: string; role: Caller['role']; path: string; status: Caller['status']; parent_id: string | null }
      | undefined;
    if (!row) throw new AppError('UNAUTHENTICATED', 'Unknown or revoked API key');
    // Last-used time to the minute is plenty, and keeps this off every request's write path.
    await db('api_keys')
      .where({ id: row.keyId })
      .andWhere((w) => w.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
      .update({ last_used_at: db.fn.now() });
    const caller: Caller = { id: row.id, role: row.role, path: row.path, status: row.status, parentId: row.parent_id };
    res.locals.caller = caller;
    res.locals.apiKeyId = row.keyId;
    next();
  };
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new AppError('UNAUTHENTICATED', 'Not authenticated');
  return caller;
}

/** Money-moving actions: the caller must be active and a role that moves money. */
export function requireMoneyMover(caller: Caller): void {
  if (caller.role === 'support') throw new AppError('FORBIDDEN', 'Support users cannot move money');
  if (caller.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
}
