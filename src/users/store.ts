import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { whereInSubtree } from '../db/subtree';
import type { Caller, User } from './types';

interface UserRow {
  id: string;
  role: User['role'];
  name: string;
  mobile: string | null;
  email: string | null;
  parent_id: string | null;
  path: string;
  status: User['status'];
  kyc_tier: User['kycTier'];
  created_at: Date;
  updated_at: Date;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    role: r.role,
    name: r.name,
    mobile: r.mobile,
    email: r.email,
    parentId: r.parent_id,
    path: r.path,
    status: r.status,
    kycTier: r.kyc_tier,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function findUser(db: Db | Knex.Transaction, id: string): Promise<User | undefined> {
  const row = (await db<UserRow>('users').where({ id }).first()) as UserRow | undefined;
  return row ? toUser(row) : undefined;
}

export async function insertUser(trx: Knex.Transaction, u: Omit<User, 'createdAt' | 'updatedAt'>): Promise<User> {
  const [row] = (await trx('users')
    .insert({
      id: u.id,
      role: u.role,
      name: u.name,
      mobile: u.mobile,
      email: u.email,
      parent_id: u.parentId,
      path: u.path,
      status: u.status,
      kyc_tier: u.kycTier,
    })
    .returning('*')) as UserRow[];
  return toUser(row!);
}

/** Sets the status; undefined when the user already had it (nothing changed). */
export async function updateUserStatus(
  trx: Knex.Transaction,
  id: string,
  status: User['status'],
): Promise<User | undefined> {
  const [row] = (await trx('users')
    .where({ id })
    .whereNot({ status })
    .update({ status, updated_at: trx.fn.now() })
    .returning('*')) as UserRow[];
  return row && toUser(row);
}

/**
 * Keyset pagination over (created_at, id), resuming after the row `afterId` names: by id rather
 * than by its time, as a JavaScript Date drops PostgreSQL's microseconds, which repeats or skips rows.
 */
export async function listUsers(
  db: Db,
  filter: { parentId?: string; pathPrefix?: string; afterId?: string; limit: number },
): Promise<{ items: User[]; more: boolean }> {
  const q = db<UserRow>('users')
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .limit(filter.limit + 1);
  if (filter.parentId) q.where('parent_id', filter.parentId);
  if (filter.pathPrefix) whereInSubtree(q, 'path', filter.pathPrefix);
  if (filter.afterId)
    q.whereRaw('(created_at, id) > (select created_at, id from users where id = ?)', [filter.afterId]);
  const rows = (await q) as UserRow[];
  return { items: rows.slice(0, filter.limit).map(toUser), more: rows.length > filter.limit };
}

export interface CallerRow {
  id: string;
  role: Caller['role'];
  path: string;
  status: Caller['status'];
  parent_id: string | null;
  frozen_at: Date | null;
}

/** The columns of a caller, from `users as u` left-joined to `user_mpins as m` (the freeze). */
export const callerColumns = ['u.id', 'u.role', 'u.path', 'u.status', 'u.parent_id', 'm.frozen_at'];

export function toCaller(row: CallerRow): Caller {
  return {
    id: row.id,
    role: row.role,
    path: row.path,
    status: row.status,
    parentId: row.parent_id,
    frozen: row.frozen_at !== null,
  };
}

/** The owner of a live (not revoked) API key, by the key's hash. */
export async function findCallerByApiKey(
  db: Db,
  keyHash: string,
): Promise<{ caller: Caller; keyId: string } | undefined> {
  const row = (await db('api_keys as k')
    .join('users as u', 'u.id', 'k.user_id')
    .leftJoin('user_mpins as m', 'm.user_id', 'u.id')
    .where('k.key_hash', keyHash)
    .whereNull('k.revoked_at')
    .first('k.id as keyId', ...callerColumns)) as (CallerRow & { keyId: string }) | undefined;
  return row && { caller: toCaller(row), keyId: row.keyId };
}

const touchedAt = new Map<string, number>();

/**
 * Last-used time to the minute is plenty, and keeps this off every request's write path: a
 * process touches a key at most once a minute (and the statement only writes if no process has).
 */
export async function touchApiKey(db: Db, keyId: string): Promise<void> {
  const now = Date.now();
  if (now - (touchedAt.get(keyId) ?? 0) < 60_000) return;
  if (touchedAt.size >= 10_000) touchedAt.clear();
  touchedAt.set(keyId, now);
  await db('api_keys')
    .where({ id: keyId })
    .andWhere((w) => w.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
    .update({ last_used_at: db.fn.now() });
}
