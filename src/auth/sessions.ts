import type { Knex } from 'knex';
import { auditTypes, recordAudit } from '../audit/log';
import type { Config } from '../config';
import { AppError } from '../errors';
import { newId } from '../ids';
import { callerColumns, findUser, toCaller, type CallerRow } from '../users/store';
import type { Caller } from '../users/types';
import { hashToken, newRefreshToken, signAccessToken, verifyAccessToken } from './tokens';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  requestId?: string;
  ip?: string;
}

type RevokeReason = 'logout' | 'refresh_token_reuse' | 'admin';

const invalidRefresh = () => new AppError('UNAUTHENTICATED', 'Invalid, expired or revoked refresh token');

/**
 * Portal sessions: one per sign-in, holding a family of one-time refresh tokens. Refreshing spends
 * the presented token and issues the next; presenting a spent token again means it leaked (or a
 * client replayed it), so the whole session is revoked and its access tokens stop working at once
 * (authenticate() checks the session row on every request).
 */
export class SessionService {
  constructor(
    private readonly db: Knex,
    private readonly cfg: Config['auth'],
  ) {}

  /** A session for a user that is not suspended (USER_SUSPENDED otherwise). */
  async start(userId: string, origin: RequestOrigin, trx?: Knex.Transaction): Promise<TokenPair> {
    const run = async (t: Knex.Transaction) => {
      const user = await findUser(t, userId);
      // pending_review (a sanctions hit) signs in; it moves no money (requireMoneyMover).
      if (!user || user.status === 'suspended') throw new AppError('USER_SUSPENDED', 'This user is suspended');
      const sessionId = newId('ses');
      await t('auth_sessions').insert({
        id: sessionId,
        user_id: userId,
        expires_at: t.raw('now() + ?::interval', [`${this.cfg.sessionTtlSeconds} seconds`]),
      });
      const refreshToken = await this.issueRefreshToken(t, sessionId);
      await recordAudit(t, {
        type: auditTypes.signIn,
        actorId: userId,
        subjectId: userId,
        ...origin,
        details: { sessionId },
      });
      return this.pair(userId, sessionId, refreshToken);
    };
    return trx ? run(trx) : this.db.transaction(run);
  }

  /** The caller of a session access token, good only while its session is: revocation takes effect at once. */
  async caller(accessToken: string): Promise<{ caller: Caller; sessionId: string }> {
    const claims = verifyAccessToken(this.cfg.jwtSecret, accessToken);
    if (!claims) throw new AppError('UNAUTHENTICATED', 'Invalid or expired access token');
    const row = (await this.db('auth_sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .leftJoin('user_mpins as m', 'm.user_id', 'u.id')
      .where({ 's.id': claims.sid, 's.user_id': claims.sub })
      .whereNull('s.revoked_at')
      .andWhere('s.expires_at', '>', this.db.fn.now())
      .first(...callerColumns)) as CallerRow | undefined;
    if (!row) throw new AppError('UNAUTHENTICATED', 'This session has ended');
    return { caller: toCaller(row), sessionId: claims.sid };
  }

  async refresh(presented: string, origin: RequestOrigin): Promise<TokenPair> {
    const outcome = await this.db.transaction(async (trx) => {
      const row = (await trx('refresh_tokens as r')
        .join('auth_sessions as s', 's.id', 'r.session_id')
        .where('r.token_hash', hashToken(presented))
        .forUpdate()
        .first(
          's.id as sessionId',
          's.user_id as userId',
          trx.raw('(s.revoked_at is null and s.expires_at > now()) as "sessionLive"'),
          trx.raw('(r.spent_at is not null) as "spent"'),
          trx.raw('(r.expires_at > now()) as "tokenLive"'),
        )) as
        { sessionId: string; userId: string; sessionLive: boolean; spent: boolean; tokenLive: boolean } | undefined;
      if (!row || !row.sessionLive) return undefined;
      if (row.spent) {
        await this.revokeIn(trx, row.sessionId, 'refresh_token_reuse');
        await recordAudit(trx, {
          type: auditTypes.refreshReuse,
          subjectId: row.userId,
          ...origin,
          details: { sessionId: row.sessionId },
        });
        return undefined;
      }
      if (!row.tokenLive) return undefined;
      await trx('refresh_tokens')
        .where({ token_hash: hashToken(presented) })
        .update({ spent_at: trx.fn.now() });
      await trx('auth_sessions').where({ id: row.sessionId }).update({ last_refreshed_at: trx.fn.now() });
      const next = await this.issueRefreshToken(trx, row.sessionId);
      return this.pair(row.userId, row.sessionId, next);
    });
    if (!outcome) throw invalidRefresh();
    return outcome;
  }

  /** Ends a session; its refresh tokens and access tokens stop working. */
  async revoke(sessionId: string, reason: RevokeReason, actorId: string, origin: RequestOrigin): Promise<void> {
    await this.db.transaction(async (trx) => {
      const revoked = await this.revokeIn(trx, sessionId, reason);
      if (revoked) {
        await recordAudit(trx, {
          type: auditTypes.logout,
          actorId,
          subjectId: actorId,
          ...origin,
          details: { sessionId },
        });
      }
    });
  }

  private async revokeIn(trx: Knex.Transaction, sessionId: string, reason: RevokeReason): Promise<boolean> {
    const n = await trx('auth_sessions')
      .where({ id: sessionId })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now(), revoked_reason: reason });
    return n > 0;
  }

  private async issueRefreshToken(trx: Knex.Transaction, sessionId: string): Promise<string> {
    const token = newRefreshToken();
    await trx('refresh_tokens').insert({
      token_hash: hashToken(token),
      session_id: sessionId,
      // Never outliving its session.
      expires_at: trx.raw('least(now() + ?::interval, (select expires_at from auth_sessions where id = ?))', [
        `${this.cfg.refreshTokenTtlSeconds} seconds`,
        sessionId,
      ]),
    });
    return token;
  }

  private pair(userId: string, sessionId: string, refreshToken: string): TokenPair {
    const ttl = this.cfg.accessTokenTtlSeconds;
    return {
      accessToken: signAccessToken(this.cfg.jwtSecret, { sub: userId, sid: sessionId }, ttl),
      refreshToken,
      expiresIn: ttl,
    };
  }
}
