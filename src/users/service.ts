import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/errors';
import { auditTypes, recordAudit, recordAuditBy, type AuditActor } from '../audit/log';
import { clearOpenHits, hasOpenHits, sanctionsAuditTypes } from '../compliance/watchlist';
import type { SanctionsHit } from '../compliance/sanctions';
import type { Db } from '../db/knex';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { walletAccount, type Ledger } from '../ledger';
import { generateApiKey, hashApiKey, keyPrefix } from './api-keys';
import { canManage, canRead, mayHaveChild } from './hierarchy';
import { findCallerByApiKey, findUser, insertUser, listUsers, touchApiKey, updateUserStatus } from './store';
import type { Caller, Role, User } from './types';

/** Sanctions screening of a user being created, inside its creation transaction (src/compliance/watchlist.ts). */
export interface NewUserScreen {
  screenNewUser(trx: Knex.Transaction, user: { id: string; name: string; createdBy: string }): Promise<SanctionsHit[]>;
}

export interface NewUser {
  role: Role;
  name: string;
  mobile: string;
  email?: string;
  parentId?: string;
}

/** Users and the hierarchy. Every method checks the caller's scope; out of scope reads as not found. */
export class UserService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    /** The balance cap of a new user's wallet (KYC has not started: the lowest tier's), by role. */
    private readonly newWalletCap: (role: Role) => bigint | null,
    /** Without it, users are created unscreened (tools and tests that need no watchlist). */
    private readonly sanctions?: NewUserScreen,
  ) {}

  /** A user the caller may see, or NOT_FOUND (never FORBIDDEN, so ids cannot be probed). */
  async visible(caller: Caller, id: string): Promise<User> {
    const user = await findUser(this.db, id);
    if (!user || !canRead(caller, user)) throw notFound('User');
    return user;
  }

  async create(caller: Caller, input: NewUser): Promise<User> {
    if (caller.role === 'support' || caller.role === 'retailer') {
      throw new AppError('FORBIDDEN', `A ${caller.role} cannot create users`);
    }
    const parentId = input.parentId ?? caller.id;
    const parent = await this.visible(caller, parentId);
    if (parent.id !== caller.id && !canManage(caller, parent)) throw notFound('User');
    if (!mayHaveChild(parent.role, input.role)) {
      throw new AppError('VALIDATION_FAILED', `A ${input.role} cannot be placed below a ${parent.role}`, {
        fields: [{ path: 'body.role', message: `not allowed below a ${parent.role}` }],
      });
    }
    if (parent.status !== 'active') throw new AppError('USER_SUSPENDED', 'The parent user is suspended');
    const id = newId('usr');
    try {
      return await this.db.transaction(async (trx) => {
        const user = await insertUser(trx, {
          id,
          role: input.role,
          name: input.name,
          mobile: input.mobile,
          email: input.email ?? null,
          parentId: parent.id,
          path: `${parent.path}/${id}`,
          status: 'active',
          kycTier: 'none',
        });
        const hits = (await this.sanctions?.screenNewUser(trx, { id, name: input.name, createdBy: caller.id })) ?? [];
        const screened = hits.length > 0 ? (await updateUserStatus(trx, id, 'pending_review'))! : user;
        // The wallet is created with the user or not at all.
        if (input.role !== 'support') {
          const cap = this.newWalletCap(input.role);
          await this.ledger.createAccounts([walletAccount(id, { cap })], trx);
        }
        return screened;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_mobile_key')) {
        throw new AppError('CONFLICT', 'A user with this mobile number already exists');
      }
      throw err;
    }
  }

  /** A page of the users the caller may see, after the row `afterId` names. */
  async list(
    caller: Caller,
    q: { parentId?: string; afterId?: string; limit: number },
  ): Promise<{ items: User[]; more: boolean }> {
    if (q.parentId) await this.visible(caller, q.parentId);
    const everyone = caller.role === 'admin' || caller.role === 'support';
    return listUsers(this.db, {
      parentId: q.parentId,
      pathPrefix: everyone ? undefined : caller.path,
      afterId: q.afterId,
      limit: q.limit,
    });
  }

  /** The caller an API key authenticates (looked up by its hash only), or UNAUTHENTICATED. */
  async callerByApiKey(key: string): Promise<{ caller: Caller; keyId: string }> {
    const found = await findCallerByApiKey(this.db, hashApiKey(key));
    if (!found) throw new AppError('UNAUTHENTICATED', 'Unknown or revoked API key');
    await touchApiKey(this.db, found.keyId);
    return found;
  }

  /**
   * Suspends or activates a user the caller manages. Nobody changes its own status, and the last
   * active admin cannot be suspended: the platform would have no one left to run it. A user with
   * an uncleared sanctions hit is not activated: an admin clears the review (clearReview).
   */
  async setStatus(caller: Caller, id: string, status: 'active' | 'suspended'): Promise<User> {
    const user = await this.visible(caller, id);
    if (user.id === caller.id) throw new AppError('FORBIDDEN', 'A user cannot suspend or activate itself');
    if (!canManage(caller, user)) {
      // Support sees all and manages nobody.
      throw new AppError('FORBIDDEN', 'Only an upline or an admin can change this user');
    }
    return this.db.transaction(async (trx) => {
      if (status === 'suspended' && user.role === 'admin') {
        // Locking every active admin row serializes admins suspending each other: whoever comes
        // second sees the first one's change.
        const active = (await trx('users')
          .where({ role: 'admin', status: 'active' })
          .forUpdate()
          .pluck('id')) as string[];
        if (active.length === 1 && active[0] === id) {
          throw new AppError('CONFLICT', 'The last active admin cannot be suspended');
        }
      }
      if (status === 'active' && (await hasOpenHits(trx, id))) {
        throw new AppError('CONFLICT', 'This user awaits a sanctions review: an admin clears it (clear-review)');
      }
      const updated = await updateUserStatus(trx, id, status);
      if (!updated) return (await findUser(trx, id))!;
      await recordAudit(trx, {
        type: status === 'suspended' ? auditTypes.userSuspended : auditTypes.userActivated,
        actorId: caller.id,
        subjectId: id,
      });
      return updated;
    });
  }

  /**
   * Clears a sanctions review (admin only, with a note): the user's open hits are marked cleared
   * and a pending_review user becomes active (a suspended one stays suspended). CONFLICT when
   * there is nothing to clear.
   */
  async clearReview(actor: AuditActor & { caller: Caller }, id: string, note: string): Promise<User> {
    if (actor.caller.role !== 'admin') throw new AppError('FORBIDDEN', 'Only an admin clears a sanctions review');
    const user = await this.visible(actor.caller, id);
    return this.db.transaction(async (trx) => {
      await trx('users').where({ id: user.id }).forUpdate().first('id');
      const cleared = await clearOpenHits(trx, user.id, actor.caller.id, note);
      const current = (await findUser(trx, user.id))!;
      if (cleared.length === 0 && current.status !== 'pending_review') {
        throw new AppError('CONFLICT', 'This user has no sanctions review to clear');
      }
      const updated = current.status === 'pending_review' ? (await updateUserStatus(trx, user.id, 'active'))! : current;
      await recordAuditBy(trx, actor, sanctionsAuditTypes.reviewCleared, user.id, {
        note,
        hits: cleared.map((h) => ({ id: h.id, list: h.list, entryName: h.entryName, score: h.score })),
        status: updated.status,
      });
      return updated;
    });
  }

  async createApiKey(caller: Caller, input: { userId?: string; name: string }): Promise<{ id: string; key: string }> {
    const owner = await this.visible(caller, input.userId ?? caller.id);
    if (owner.id !== caller.id && !canManage(caller, owner)) {
      throw new AppError('FORBIDDEN', 'Only an upline or an admin can create keys for another user');
    }
    const key = generateApiKey();
    const id = newId('key');
    await this.db('api_keys').insert({
      id,
      user_id: owner.id,
      name: input.name,
      key_hash: hashApiKey(key),
      key_prefix: keyPrefix(key),
      created_by: caller.id,
    });
    await recordAudit(this.db, {
      type: auditTypes.apiKeyCreated,
      actorId: caller.id,
      subjectId: owner.id,
      details: { keyId: id, name: input.name },
    });
    return { id, key };
  }

  async listApiKeys(caller: Caller, userId: string) {
    const owner = await this.visible(caller, userId);
    const rows = await this.db('api_keys')
      .where({ user_id: owner.id })
      .orderBy('created_at')
      .select('id', 'name', 'key_prefix', 'created_at', 'last_used_at', 'revoked_at');
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      name: r.name as string,
      prefix: r.key_prefix as string,
      createdAt: r.created_at as Date,
      lastUsedAt: (r.last_used_at as Date | null) ?? null,
      revokedAt: (r.revoked_at as Date | null) ?? null,
    }));
  }

  async revokeApiKey(caller: Caller, keyId: string): Promise<void> {
    const row = (await this.db('api_keys').where({ id: keyId }).first('user_id')) as { user_id: string } | undefined;
    // Out of scope answers exactly like a key that does not exist, so key ids cannot be probed.
    const owner = row ? await findUser(this.db, row.user_id) : undefined;
    if (!owner || (owner.id !== caller.id && !canManage(caller, owner))) throw notFound('API key');
    const revoked = await this.db('api_keys')
      .where({ id: keyId })
      .whereNull('revoked_at')
      .update({ revoked_at: this.db.fn.now() });
    if (revoked > 0) {
      await recordAudit(this.db, {
        type: auditTypes.apiKeyRevoked,
        actorId: caller.id,
        subjectId: owner.id,
        details: { keyId },
      });
    }
  }
}
