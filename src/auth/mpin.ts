import argon2 from 'argon2';
import type { Knex } from 'knex';
import { auditTypes, recordAudit } from '../audit/log';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { RequestOrigin } from './sessions';

export const mpinPattern = /^[0-9]{6}$/;

/** Why an mPIN is too easy to guess, or undefined when it is acceptable. */
export function mpinWeakness(mpin: string): string | undefined {
  const d = [...mpin].map(Number);
  const steps = d.slice(1).map((x, i) => (x - d[i]! + 10) % 10);
  if (steps.every((s) => s === 0)) return 'all digits are the same';
  if (steps.every((s) => s === 1)) return 'an ascending sequence';
  if (steps.every((s) => s === 9)) return 'a descending sequence';
  for (const period of [2, 3]) {
    if (d.every((x, i) => x === d[i % period])) return 'a repeated pattern';
  }
  return undefined;
}

/** Money movement of a frozen user is refused until an upline or an admin unlocks its mPIN. */
export function accountFrozen(): AppError {
  return new AppError(
    'USER_SUSPENDED',
    'Money movement is frozen after repeated wrong mPINs; an upline must unlock it',
    {
      reason: 'mpin_frozen',
    },
  );
}

// OWASP's argon2id baseline (19 MiB, 2 passes); the pepper keeps a stolen table of
// hashes of a 10^6-value space from being brute-forced without the server's secret.
const hashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

interface MpinRow {
  user_id: string;
  mpin_hash: string;
  consecutive_failures: number;
  recent_failures: Date[];
  locked_until: Date | null;
  frozen_at: Date | null;
  now: Date;
}

export interface MpinStatus {
  userId: string;
  mpinSet: boolean;
  lockedUntil: Date | null;
  frozen: boolean;
}

type CheckOutcome = { ok: true } | { ok: false; error: AppError };

const DAY_MS = 24 * 3600 * 1000;

/**
 * mPINs: set and change them, check them for step-up. Wrong tries lock the mPIN for a while
 * (MPIN_MAX_TRIES in a row), and too many in a day (MPIN_FREEZE_TRIES) freeze the user's money
 * movement until an upline or an admin unlocks it. Checks of one user are serialised by a row lock.
 */
export class MpinService {
  private readonly secret: Buffer;

  constructor(
    private readonly db: Knex,
    private readonly cfg: Config['auth'],
  ) {
    this.secret = Buffer.from(cfg.mpinPepper, 'utf8');
  }

  async status(userId: string): Promise<MpinStatus> {
    const row = (await this.db('user_mpins')
      .where({ user_id: userId })
      .first('locked_until', 'frozen_at', this.db.raw('now() as now'))) as
      Pick<MpinRow, 'locked_until' | 'frozen_at' | 'now'> | undefined;
    const locked = row?.locked_until && row.locked_until > row.now ? row.locked_until : null;
    return { userId, mpinSet: row !== undefined, lockedUntil: locked, frozen: Boolean(row?.frozen_at) };
  }

  /** Sets the first mPIN, or changes it given the current one (a wrong one counts as a wrong try). */
  async set(userId: string, mpin: string, currentMpin: string | undefined, origin: RequestOrigin): Promise<void> {
    const weak = mpinWeakness(mpin);
    if (!mpinPattern.test(mpin) || weak) {
      throw new AppError('VALIDATION_FAILED', 'Invalid mPIN', {
        fields: [{ path: 'body.mpin', message: weak ? `too easy to guess: ${weak}` : '6 digits' }],
      });
    }
    const hash = await argon2.hash(mpin, { ...hashOptions, secret: this.secret });
    const existing = await this.db('user_mpins').where({ user_id: userId }).first('user_id');
    if (!existing) {
      const inserted = await this.db.transaction(async (trx) => {
        const rows = await trx('user_mpins')
          .insert({ user_id: userId, mpin_hash: hash })
          .onConflict('user_id')
          .ignore()
          .returning('user_id');
        if (rows.length)
          await recordAudit(trx, { type: auditTypes.mpinSet, actorId: userId, subjectId: userId, ...origin });
        return rows.length > 0;
      });
      if (inserted) return;
    }
    if (currentMpin === undefined) {
      throw new AppError('VALIDATION_FAILED', 'The current mPIN is required to change it', {
        fields: [{ path: 'body.currentMpin', message: 'required to change the mPIN' }],
      });
    }
    await this.check(userId, currentMpin, origin, async (trx) => {
      await trx('user_mpins').where({ user_id: userId }).update({ mpin_hash: hash, set_at: trx.fn.now() });
      await recordAudit(trx, { type: auditTypes.mpinChanged, actorId: userId, subjectId: userId, ...origin });
    });
  }

  /**
   * Passes when `mpin` is the user's mPIN (then runs `then` in the same transaction); otherwise
   * 422 STEP_UP_REQUIRED (details.reason mpin_not_set, mpin_locked or mpin_incorrect with
   * attemptsLeft) or, once frozen, 422 USER_SUSPENDED (details.reason mpin_frozen).
   */
  async check(
    userId: string,
    mpin: string,
    origin: RequestOrigin,
    then?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<void> {
    const outcome = await this.db.transaction(async (trx): Promise<CheckOutcome> => {
      const row = (await trx('user_mpins')
        .where({ user_id: userId })
        .forUpdate()
        .first('*', trx.raw('now() as now'))) as MpinRow | undefined;
      if (!row) {
        return {
          ok: false,
          error: new AppError('STEP_UP_REQUIRED', 'Set an mPIN first (PUT /v1/me/mpin)', { reason: 'mpin_not_set' }),
        };
      }
      if (row.frozen_at) return { ok: false, error: accountFrozen() };
      if (row.locked_until && row.locked_until > row.now) return { ok: false, error: locked(row.locked_until) };
      if (await argon2.verify(row.mpin_hash, mpin, { secret: this.secret })) {
        if (row.consecutive_failures > 0) {
          await trx('user_mpins').where({ user_id: userId }).update({ consecutive_failures: 0 });
        }
        await then?.(trx);
        return { ok: true };
      }
      return { ok: false, error: await this.recordFailure(trx, row, origin) };
    });
    if (!outcome.ok) throw outcome.error;
  }

  private async recordFailure(trx: Knex.Transaction, row: MpinRow, origin: RequestOrigin): Promise<AppError> {
    const now = row.now;
    const recent = [...row.recent_failures.filter((t) => now.getTime() - t.getTime() < DAY_MS), now];
    const consecutive = row.consecutive_failures + 1;
    const audit = { actorId: row.user_id, subjectId: row.user_id, ...origin };
    await recordAudit(trx, { type: auditTypes.mpinFailed, ...audit, details: { consecutive, today: recent.length } });
    if (recent.length >= this.cfg.mpinFreezeTries) {
      await trx('user_mpins')
        .where({ user_id: row.user_id })
        .update({ recent_failures: recent, consecutive_failures: 0, locked_until: null, frozen_at: now });
      await recordAudit(trx, { type: auditTypes.mpinFrozen, ...audit, details: { today: recent.length } });
      return accountFrozen();
    }
    if (consecutive >= this.cfg.mpinMaxTries) {
      const until = new Date(now.getTime() + this.cfg.mpinLockSeconds * 1000);
      await trx('user_mpins')
        .where({ user_id: row.user_id })
        .update({ recent_failures: recent, consecutive_failures: 0, locked_until: until });
      await recordAudit(trx, { type: auditTypes.mpinLocked, ...audit, details: { lockedUntil: until.toISOString() } });
      return locked(until);
    }
    await trx('user_mpins')
      .where({ user_id: row.user_id })
      .update({ recent_failures: recent, consecutive_failures: consecutive });
    const attemptsLeft = this.cfg.mpinMaxTries - consecutive;
    return new AppError('STEP_UP_REQUIRED', 'Incorrect mPIN', { reason: 'mpin_incorrect', attemptsLeft });
  }

  /** Clears a lock and a freeze (the caller has checked it may: an upline or an admin). */
  async unlock(actorId: string, userId: string, origin: RequestOrigin): Promise<MpinStatus> {
    await this.db.transaction(async (trx) => {
      const before = (await trx('user_mpins')
        .where({ user_id: userId })
        .forUpdate()
        .first('locked_until', 'frozen_at')) as Pick<MpinRow, 'locked_until' | 'frozen_at'> | undefined;
      if (!before) return;
      await trx('user_mpins')
        .where({ user_id: userId })
        .update({ consecutive_failures: 0, recent_failures: [], locked_until: null, frozen_at: null });
      await recordAudit(trx, {
        type: auditTypes.mpinUnlocked,
        actorId,
        subjectId: userId,
        ...origin,
        details: { wasFrozen: before.frozen_at !== null, wasLocked: before.locked_until !== null },
      });
    });
    return this.status(userId);
  }
}

function locked(until: Date): AppError {
  return new AppError('STEP_UP_REQUIRED', 'The mPIN is locked after repeated wrong tries', {
    reason: 'mpin_locked',
    lockedUntil: until.toISOString(),
  });
}
