import type { Knex } from 'knex';
import type { Response } from 'express';
import { AppError } from '../errors';

export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one more hit would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one hit on `bucket` if the rule allows it; a refused hit is not counted. */
  hit(bucket: string, rule: RateRule): Promise<RateDecision>;
}

const MAX_WINDOW_SECONDS = 86_400;

/**
 * Durable sliding-window limiter in PostgreSQL: one row per hit, serialised per bucket by a
 * transaction-scoped advisory lock, so every API process shares the same count and a restart
 * forgets nothing. Meant for low-volume security buckets (OTPs per mobile), not every request.
 */
export class PgRateLimiter implements RateLimiter {
  private lastPrune = 0;

  constructor(private readonly db: Knex) {}

  async hit(bucket: string, rule: RateRule): Promise<RateDecision> {
    if (rule.windowSeconds > MAX_WINDOW_SECONDS) throw new Error('rate limit windows are at most a day');
    const decision = await this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`rate:${bucket}`]);
      const window = `${rule.windowSeconds} seconds`;
      const { rows } = (await trx.raw(
        `select count(*)::int as hits,
                ceil(extract(epoch from (min(at) + ?::interval - clock_timestamp())))::int as retry
           from rate_limit_hits where bucket = ? and at > clock_timestamp() - ?::interval`,
        [window, bucket, window],
      )) as { rows: Array<{ hits: number; retry: number | null }> };
      const { hits, retry } = rows[0]!;
      if (hits >= rule.limit) return { allowed: false, retryAfterSeconds: Math.max(1, retry ?? 1) };
      await trx('rate_limit_hits').insert({ bucket });
      return { allowed: true, retryAfterSeconds: 0 };
    });
    await this.pruneNowAndThen();
    return decision;
  }

  /** Hits older than the longest window count for nothing; drop them every few minutes. */
  private async pruneNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 5 * 60_000) return;
    this.lastPrune = now;
    await this.db('rate_limit_hits')
      .where('at', '<', this.db.raw('now() - ?::interval', [`${MAX_WINDOW_SECONDS} seconds`]))
      .delete();
  }
}

/**
 * Fixed-window limiter in this process's memory: cheap enough for every request. With several API
 * processes each enforces its own count, so the effective limit is the per-process limit times the
 * number of processes.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; span: number; hits: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  hit(bucket: string, rule: RateRule): Promise<RateDecision> {
    const now = this.now();
    const span = rule.windowSeconds * 1000;
    this.sweep(now);
    let w = this.windows.get(bucket);
    if (!w || now - w.start >= span) {
      w = { start: now, span, hits: 0 };
      this.windows.set(bucket, w);
    }
    if (w.hits >= rule.limit) {
      return Promise.resolve({
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((w.start + span - now) / 1000)),
      });
    }
    w.hits += 1;
    return Promise.resolve({ allowed: true, retryAfterSeconds: 0 });
  }

  /** Forgets expired windows once a minute, so idle buckets do not pile up. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (now - w.start >= w.span) this.windows.delete(k);
  }
}

/** Throws 429 RATE_LIMITED with a Retry-After header when the hit is refused. */
export async function enforceRate(
  limiter: RateLimiter,
  res: Response,
  bucket: string,
  rule: RateRule,
  what: string,
): Promise<void> {
  const d = await limiter.hit(bucket, rule);
  if (d.allowed) return;
  res.setHeader('Retry-After', String(d.retryAfterSeconds));
  throw new AppError('RATE_LIMITED', `Too many ${what}; retry after ${d.retryAfterSeconds} s`, {
    retryAfterSeconds: d.retryAfterSeconds,
  });
}
