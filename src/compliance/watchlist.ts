import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Knex } from 'knex';
import { recordAudit, recordAuditBy, type AuditActor } from '../audit/log';
import { AppError } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import {
  parseWatchlist,
  WatchlistFormatError,
  WatchlistMatcher,
  type SanctionsHit,
  type WatchlistEntry,
} from './sanctions';

/** Reloads take it exclusively, user creation shared: a user is screened by one list or the next, never by neither. */
const SCREENING_LOCK = 0x7a11_5c4e;

export const sanctionsAuditTypes = {
  watchlistReloaded: 'compliance.watchlist_reloaded',
  hit: 'compliance.sanctions_hit',
  reviewCleared: 'user.review_cleared',
} as const;

export interface WatchlistLoad {
  loadId: string;
  source: string;
  sha256: string;
  entries: number;
  /** Users whose names were screened against the new list. */
  screened: number;
  /** Hits found for the first time. */
  newHits: number;
  /** Active users this reload put in pending_review. */
  frozen: string[];
}

export interface SanctionsHitRow {
  id: string;
  userId: string;
  list: string;
  entryName: string;
  matched: string;
  score: number;
  status: 'open' | 'cleared';
  createdAt: Date;
  clearedAt: Date | null;
  clearedBy: string | null;
  note: string | null;
}

interface HitDbRow {
  id: string;
  user_id: string;
  list: string;
  entry_name: string;
  matched: string;
  score: string;
  status: 'open' | 'cleared';
  created_at: Date;
  cleared_at: Date | null;
  cleared_by: string | null;
  note: string | null;
}

function toHit(r: HitDbRow): SanctionsHitRow {
  return {
    id: r.id,
    userId: r.user_id,
    list: r.list,
    entryName: r.entry_name,
    matched: r.matched,
    score: Number(r.score),
    status: r.status,
    createdAt: r.created_at,
    clearedAt: r.cleared_at,
    clearedBy: r.cleared_by,
    note: r.note,
  };
}

/**
 * Sanctions screening against the watchlist in force, which lives in the database (so every API
 * and worker process screens with the same one) and is replaced whole from WATCHLIST_FILE by a
 * reload. Each process keeps the list it last read, prepared for matching, until a newer load exists.
 */
export class SanctionsService {
  private cached: { loadId: string; matcher: WatchlistMatcher } | undefined;

  constructor(
    private readonly db: Knex,
    private readonly cfg: { watchlistFile: string | undefined; threshold: number },
    private readonly log?: Logger,
  ) {}

  private async matcher(
    trx: Knex | Knex.Transaction,
  ): Promise<{ loadId: string; matcher: WatchlistMatcher } | undefined> {
    const latest = (await trx('watchlist_loads')
      .orderBy([
        { column: 'loaded_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first('id')) as { id: string } | undefined;
    if (!latest) return undefined;
    if (this.cached?.loadId === latest.id) return this.cached;
    const rows = (await trx('watchlist_entries').where({ load_id: latest.id }).orderBy('line')) as Array<{
      line: number;
      list: string;
      name: string;
      aliases: string[];
      country: string | null;
      listed_on: string | null;
    }>;
    const entries: WatchlistEntry[] = rows.map((r) => ({
      line: r.line,
      list: r.list,
      name: r.name,
      aliases: r.aliases,
      country: r.country,
      listedOn: r.listed_on,
    }));
    this.cached = { loadId: latest.id, matcher: new WatchlistMatcher(entries, this.cfg.threshold) };
    return this.cached;
  }

  /** Records the hits not recorded before for this user; answers the new ones. */
  private async recordHits(
    trx: Knex.Transaction,
    userId: string,
    loadId: string,
    hits: SanctionsHit[],
  ): Promise<SanctionsHit[]> {
    if (hits.length === 0) return [];
    const inserted = (await trx('sanctions_hits')
      .insert(
        hits.map((h) => ({
          id: newId('snh'),
          user_id: userId,
          list: h.list,
          entry_name: h.entryName,
          matched: h.matched,
          score: h.score.toFixed(4),
          load_id: loadId,
        })),
      )
      .onConflict(['user_id', 'list', 'entry_name'])
      .ignore()
      .returning(['list', 'entry_name'])) as Array<{ list: string; entry_name: string }>;
    const fresh = new Set(inserted.map((r) => `${r.list}\u0000${r.entry_name}`));
    return hits.filter((h) => fresh.has(`${h.list}\u0000${h.entryName}`));
  }

  /**
   * Screens a user being created, inside its creation transaction (after the users row exists):
   * the hits, recorded and audited. The caller puts the user in pending_review when there are any.
   */
  async screenNewUser(
    trx: Knex.Transaction,
    user: { id: string; name: string; createdBy: string },
  ): Promise<SanctionsHit[]> {
    await trx.raw('select pg_advisory_xact_lock_shared(?)', [SCREENING_LOCK]);
    const current = await this.matcher(trx);
    if (!current) return [];
    const hits = await this.recordHits(trx, user.id, current.loadId, current.matcher.match(user.name));
    if (hits.length > 0) {
      await recordAudit(trx, {
        type: sanctionsAuditTypes.hit,
        actorId: user.createdBy,
        subjectId: user.id,
        details: { at: 'creation', loadId: current.loadId, hits },
      });
    }
    return hits;
  }

  /**
   * Replaces the list in force with WATCHLIST_FILE and screens every user against it, in one
   * transaction: a hit not recorded before is recorded and an active user it names is put in
   * pending_review (a hit an admin cleared stays cleared). `actor` null: the system (start-up, CLI).
   */
  async reload(actor: AuditActor | null): Promise<WatchlistLoad> {
    const file = this.cfg.watchlistFile;
    if (!file) throw new AppError('CONFLICT', 'No watchlist file is configured (WATCHLIST_FILE)');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      this.log?.error({ err, file }, 'watchlist file unreadable');
      throw new AppError('CONFLICT', 'The watchlist file cannot be read');
    }
    let entries: WatchlistEntry[];
    try {
      entries = parseWatchlist(text);
    } catch (err) {
      if (err instanceof WatchlistFormatError) {
        throw new AppError('CONFLICT', 'The watchlist file has bad lines; the list in force is unchanged', {
          lines: err.problems,
        });
      }
      throw err;
    }
    const sha256 = createHash('sha256').update(text).digest('hex');
    const matcher = new WatchlistMatcher(entries, this.cfg.threshold);
    const loadId = newId('wl');
    const result = await this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [SCREENING_LOCK]);
      await trx('watchlist_loads').insert({
        id: loadId,
        source: file,
        sha256,
        entries: entries.length,
        loaded_by: actor?.caller.id ?? null,
      });
      await trx('watchlist_entries').whereNot({ load_id: loadId }).delete();
      for (let i = 0; i < entries.length; i += 1000) {
        await trx('watchlist_entries').insert(
          entries.slice(i, i + 1000).map((e) => ({
            load_id: loadId,
            line: e.line,
            list: e.list,
            name: e.name,
            aliases: e.aliases,
            country: e.country,
            listed_on: e.listedOn,
          })),
        );
      }
      let screened = 0;
      let newHits = 0;
      const frozen: string[] = [];
      let after = '';
      for (;;) {
        const users = (await trx('users')
          .where('id', '>', after)
          .orderBy('id')
          .limit(1000)
          .select('id', 'name', 'status')) as Array<{ id: string; name: string; status: string }>;
        if (users.length === 0) break;
        after = users[users.length - 1]!.id;
        screened += users.length;
        for (const u of users) {
          const hits = await this.recordHits(trx, u.id, loadId, matcher.match(u.name));
          if (hits.length === 0) continue;
          newHits += hits.length;
          const changed = await trx('users')
            .where({ id: u.id, status: 'active' })
            .update({ status: 'pending_review', updated_at: trx.fn.now() });
          if (changed > 0) frozen.push(u.id);
          await recordAudit(trx, {
            type: sanctionsAuditTypes.hit,
            actorId: actor?.caller.id ?? null,
            subjectId: u.id,
            details: { at: 'reload', loadId, hits, frozen: changed > 0 },
          });
        }
      }
      const outcome = { loadId, source: file, sha256, entries: entries.length, screened, newHits, frozen };
      const details = { ...outcome, frozen: frozen.length };
      if (actor) await recordAuditBy(trx, actor, sanctionsAuditTypes.watchlistReloaded, loadId, details);
      else {
        await recordAudit(trx, {
          type: sanctionsAuditTypes.watchlistReloaded,
          actorId: null,
          subjectId: loadId,
          details,
        });
      }
      return outcome;
    });
    this.cached = { loadId, matcher };
    this.log?.info({ ...result, frozen: result.frozen.length }, 'watchlist loaded');
    return result;
  }

  /** Loads WATCHLIST_FILE when no list was ever loaded (a fresh database); otherwise keeps the one in force. */
  async ensureLoaded(): Promise<void> {
    if (!this.cfg.watchlistFile) {
      this.log?.warn('no WATCHLIST_FILE: users are not screened against a sanctions list');
      return;
    }
    if (await this.db('watchlist_loads').first('id')) return;
    await this.reload(null);
  }

  async hits(q: { status?: 'open' | 'cleared'; userId?: string; limit: number }): Promise<SanctionsHitRow[]> {
    const query = this.db('sanctions_hits')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(q.limit);
    if (q.status) query.where({ status: q.status });
    if (q.userId) query.where({ user_id: q.userId });
    return ((await query) as HitDbRow[]).map(toHit);
  }
}

/** Marks a user's open hits cleared by `by` with `note`; answers them. */
export async function clearOpenHits(
  trx: Knex.Transaction,
  userId: string,
  by: string,
  note: string,
): Promise<SanctionsHitRow[]> {
  const rows = (await trx('sanctions_hits')
    .where({ user_id: userId, status: 'open' })
    .update({ status: 'cleared', cleared_at: trx.fn.now(), cleared_by: by, note })
    .returning('*')) as HitDbRow[];
  return rows.map(toHit);
}

/** Whether the user has hits no admin has cleared yet. */
export async function hasOpenHits(db: Knex | Knex.Transaction, userId: string): Promise<boolean> {
  return (await db('sanctions_hits').where({ user_id: userId, status: 'open' }).first('id')) !== undefined;
}
