import type { Knex } from 'knex';
import { idCursor } from '../db/cursor';
import type { Db } from '../db/knex';
import { whereInSubtree } from '../db/subtree';
import type { User } from './types';

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

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Keyset pagination over (created_at, id). The opaque cursor names the last row seen rather than
 * carrying its time: a JavaScript Date drops PostgreSQL's microseconds, which repeats or skips rows.
 */
export const encodeCursor = idCursor.encode;
export const decodeCursor = idCursor.decode;

export async function listUsers(
  db: Db,
  filter: { parentId?: string; pathPrefix?: string; afterId?: string; limit: number },
): Promise<Page<User>> {
  const q = db<UserRow>('users')
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .limit(filter.limit + 1);
  if (filter.parentId) q.where('parent_id', filter.parentId);
  if (filter.pathPrefix) whereInSubtree(q, 'path', filter.pathPrefix);
  if (filter.afterId)
    q.whereRaw('(created_at, id) > (select created_at, id from users where id = ?)', [filter.afterId]);
  const rows = (await q) as UserRow[];
  const items = rows.slice(0, filter.limit).map(toUser);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor(last.id) : null };
}
