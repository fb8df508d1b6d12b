import { isUniqueViolation } from '../db/errors';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/log';
import type { Db } from '../db/knex';
import type { SealedPii } from '../security/pii';
import type { KycProfile, KycSnapshot, KycStatus, KycTier } from './types';

type Conn = Db | Knex.Transaction;

interface ProfileRow {
  user_id: string;
  tier: KycTier;
  status: KycStatus;
  reason: string | null;
  re_kyc_required: boolean;
  re_kyc_marked_at: Date | null;
  re_kyc_due_at: Date | null;
  mobile_otp_hash: string | null;
  mobile_otp_expires_at: Date | null;
  mobile_verified_at: Date | null;
  aadhaar_hash: string | null;
  aadhaar_last4: string | null;
  aadhaar_verified_at: Date | null;
  pan_hash: string | null;
  pan_last4: string | null;
  pan_request_id: string | null;
  pan_verified_at: Date | null;
  updated_at: Date;
}

const tierRank: Record<KycTier, number> = { none: 0, min: 1, full: 2 };
const higherTier = (a: KycTier, b: KycTier): KycTier => (tierRank[a] >= tierRank[b] ? a : b);

/** A step counts in the current cycle when it was verified after the last re-KYC mark. */
const current = (at: Date | null, marked: Date | null) => at !== null && (marked === null || at > marked);

function toSnapshot(r: ProfileRow): KycSnapshot {
  return {
    tier: r.tier,
    status: r.status,
    reason: r.reason,
    reKycRequired: r.re_kyc_required,
    steps: {
      mobile: r.mobile_verified_at !== null,
      aadhaar: current(r.aadhaar_verified_at, r.re_kyc_marked_at),
      pan: current(r.pan_verified_at, r.re_kyc_marked_at),
    },
    pendingPanRequestId: r.status === 'pan_pending' ? r.pan_request_id : null,
  };
}

/**
 * kyc_profiles, written by the KYC workflow's activities and read by the API; each decision is
 * also recorded in the audit log (`kyc.*` events).
 */
export class KycStore {
  constructor(private readonly db: Db) {}

  /** The profile row, created from the user's current tier on first use. */
  async ensure(userId: string): Promise<KycSnapshot> {
    await this.db.raw(
      `insert into kyc_profiles (user_id, tier) select id, kyc_tier from users where id = ? on conflict do nothing`,
      [userId],
    );
    return this.snapshot(userId);
  }

  async snapshot(userId: string, conn: Conn = this.db): Promise<KycSnapshot> {
    const row = (await conn('kyc_profiles').where({ user_id: userId }).first()) as ProfileRow | undefined;
    if (!row) throw new Error(`no KYC profile for ${userId}`);
    return toSnapshot(row);
  }

  async profile(userId: string): Promise<KycProfile | undefined> {
    const r = (await this.db('kyc_profiles').where({ user_id: userId }).first()) as ProfileRow | undefined;
    if (!r) return undefined;
    return {
      userId: r.user_id,
      tier: r.tier,
      status: r.status,
      reason: r.reason,
      reKycRequired: r.re_kyc_required,
      reKycDueAt: r.re_kyc_due_at,
      aadhaarLast4: r.aadhaar_last4,
      panLast4: r.pan_last4,
      updatedAt: r.updated_at,
    };
  }

  /** Milliseconds until the periodic re-KYC is due (negative when overdue); null when none is scheduled. */
  async reKycDueInMs(userId: string): Promise<number | null> {
    const row = (await this.db('kyc_profiles')
      .where({ user_id: userId, re_kyc_required: false })
      .whereNotNull('re_kyc_due_at')
      .first(this.db.raw('(extract(epoch from re_kyc_due_at - now()) * 1000)::float8 as ms'))) as
      { ms: number } | undefined;
    return row ? Math.floor(row.ms) : null;
  }

  async userIdByPanRequest(requestId: string): Promise<string | undefined> {
    const row = (await this.db('kyc_profiles').where({ pan_request_id: requestId }).first('user_id')) as
      { user_id: string } | undefined;
    return row?.user_id;
  }

  /** Whether another user has verified this Aadhaar / PAN (by look-up hash). */
  async verifiedElsewhere(userId: string, field: 'aadhaar' | 'pan', hash: string): Promise<boolean> {
    const row = await this.db('kyc_profiles')
      .where(`${field}_hash`, hash)
      .whereNotNull(`${field}_verified_at`)
      .whereNot({ user_id: userId })
      .first('user_id');
    return row !== undefined;
  }

  async setStatus(userId: string, status: KycStatus, reason: string | null = null, conn: Conn = this.db) {
    await conn('kyc_profiles').where({ user_id: userId }).update({ status, reason, updated_at: this.db.fn.now() });
  }

  async setMobileOtp(userId: string, otpHash: string, expiresAt: Date): Promise<void> {
    await this.db('kyc_profiles').where({ user_id: userId }).update({
      mobile_otp_hash: otpHash,
      mobile_otp_expires_at: expiresAt,
      status: 'mobile_otp_sent',
      reason: null,
      updated_at: this.db.fn.now(),
    });
  }

  async mobileOtp(userId: string): Promise<{ hash: string | null; expiresAt: Date | null; verified: boolean }> {
    const r = (await this.db('kyc_profiles').where({ user_id: userId }).first()) as ProfileRow;
    return { hash: r.mobile_otp_hash, expiresAt: r.mobile_otp_expires_at, verified: r.mobile_verified_at !== null };
  }

  /** Raises the stored tier (never lowers it) on the profile and the user; true when it changed. */
  private async raiseTier(trx: Knex.Transaction, userId: string, to: KycTier): Promise<{ from: KycTier; to: KycTier }> {
    const row = (await trx('kyc_profiles').where({ user_id: userId }).forUpdate().first('tier')) as { tier: KycTier };
    const next = higherTier(row.tier, to);
    if (next !== row.tier) {
      await trx('kyc_profiles').where({ user_id: userId }).update({ tier: next });
      await trx('users').where({ id: userId }).update({ kyc_tier: next, updated_at: trx.fn.now() });
      await this.event(trx, userId, 'tier_changed', null, { from: row.tier, to: next });
    }
    return { from: row.tier, to: next };
  }

  async recordMobileVerified(userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const row = (await trx('kyc_profiles').where({ user_id: userId }).first('mobile_verified_at')) as ProfileRow;
      if (row.mobile_verified_at) return;
      await trx('kyc_profiles').where({ user_id: userId }).update({
        mobile_verified_at: trx.fn.now(),
        status: 'mobile_verified',
        reason: null,
        updated_at: trx.fn.now(),
      });
      await this.event(trx, userId, 'mobile_verified', null);
      await this.raiseTier(trx, userId, 'min');
    });
  }

  async recordAadhaarOtpSent(userId: string): Promise<void> {
    await this.setStatus(userId, 'aadhaar_otp_sent');
  }

  /** Stores the verified Aadhaar; false when another user has already verified the same number. */
  async recordAadhaarVerified(userId: string, aadhaar: SealedPii): Promise<boolean> {
    try {
      await this.db.transaction(async (trx) => {
        await trx('kyc_profiles').where({ user_id: userId }).update({
          aadhaar_ciphertext: aadhaar.ciphertext,
          aadhaar_hash: aadhaar.hash,
          aadhaar_last4: aadhaar.last4,
          aadhaar_verified_at: trx.fn.now(),
          status: 'aadhaar_verified',
          reason: null,
          updated_at: trx.fn.now(),
        });
        await this.event(trx, userId, 'aadhaar_verified', null);
      });
      return true;
    } catch (err) {
      if (!isUniqueViolation(err, 'kyc_profiles_aadhaar_hash_key')) throw err;
      await this.reject(userId, 'AADHAAR_ALREADY_USED');
      return false;
    }
  }

  async recordPanSubmitted(userId: string, pan: SealedPii, requestId: string): Promise<void> {
    await this.db('kyc_profiles').where({ user_id: userId }).update({
      pan_ciphertext: pan.ciphertext,
      pan_hash: pan.hash,
      pan_last4: pan.last4,
      pan_request_id: requestId,
      pan_verified_at: null,
      status: 'pan_pending',
      reason: null,
      updated_at: this.db.fn.now(),
    });
  }

  /**
   * The provider's verdict on a PAN request. Verified with mobile and Aadhaar done, the user is at
   * the full tier and the periodic re-KYC is scheduled `reKycIntervalSeconds` ahead. A verdict for a
   * request that is no longer the pending one changes nothing (duplicate or late webhook).
   */
  async recordPanOutcome(
    userId: string,
    requestId: string,
    verdict: { status: 'VERIFIED' | 'REJECTED'; reason: string | null },
    reKycIntervalSeconds: number,
  ): Promise<void> {
    try {
      await this.db.transaction(async (trx) => {
        const row = (await trx('kyc_profiles').where({ user_id: userId }).forUpdate().first()) as ProfileRow;
        if (row.pan_request_id !== requestId || row.status !== 'pan_pending') return;
        if (verdict.status === 'REJECTED') {
          await this.rejectIn(trx, userId, verdict.reason ?? 'PROVIDER_REJECTED');
          return;
        }
        await trx('kyc_profiles').where({ user_id: userId }).update({ pan_verified_at: trx.fn.now() });
        await this.event(trx, userId, 'pan_verified', null);
        if (!row.mobile_verified_at || !current(row.aadhaar_verified_at, row.re_kyc_marked_at)) {
          throw new Error('a PAN was verified before the mobile number and Aadhaar of this cycle');
        }
        await trx('kyc_profiles')
          .where({ user_id: userId })
          .update({
            status: 'verified',
            reason: null,
            re_kyc_required: false,
            verified_at: trx.fn.now(),
            re_kyc_due_at: trx.raw(`now() + make_interval(secs => ?)`, [reKycIntervalSeconds]),
            updated_at: trx.fn.now(),
          });
        await this.raiseTier(trx, userId, 'full');
        await this.event(trx, userId, 'verified', null, { reKyc: row.re_kyc_required });
      });
    } catch (err) {
      if (!isUniqueViolation(err, 'kyc_profiles_pan_hash_key')) throw err;
      await this.reject(userId, 'PAN_ALREADY_USED');
    }
  }

  async reject(userId: string, reason: string): Promise<void> {
    await this.db.transaction((trx) => this.rejectIn(trx, userId, reason));
  }

  private async rejectIn(trx: Knex.Transaction, userId: string, reason: string): Promise<void> {
    await this.setStatus(userId, 'rejected', reason, trx);
    await this.event(trx, userId, 'rejected', null, { reason });
  }

  /** Blocks spending until Aadhaar and PAN are verified again; Aadhaar and PAN start a new cycle. */
  async markReKycRequired(userId: string, by: string, reason: string): Promise<void> {
    await this.db.transaction((trx) => this.markReKycRequiredIn(trx, userId, by, reason));
  }

  /**
   * The same inside the caller's transaction, creating the profile of a user who has none (a
   * trigger from outside KYC, src/risk, must stop its spending before its workflow has run).
   */
  async markReKycRequiredIn(trx: Knex.Transaction, userId: string, by: string, reason: string): Promise<void> {
    await trx.raw(
      `insert into kyc_profiles (user_id, tier) select id, kyc_tier from users where id = ? on conflict do nothing`,
      [userId],
    );
    await trx('kyc_profiles').where({ user_id: userId }).update({
      re_kyc_required: true,
      re_kyc_marked_at: trx.fn.now(),
      re_kyc_due_at: null,
      status: 're_kyc_required',
      reason,
      updated_at: trx.fn.now(),
    });
    await this.event(trx, userId, 're_kyc_required', by === 'system' ? null : by, { reason });
  }

  /** An audit event about a user's KYC; `actorId` null is the system (the workflow). */
  private async event(
    conn: Conn,
    userId: string,
    what: string,
    actorId: string | null,
    details: Record<string, unknown> = {},
  ) {
    await recordAudit(conn, { type: `kyc.${what}`, actorId, subjectId: userId, details });
  }

  async audit(userId: string, what: string, actorId: string, details: Record<string, unknown>): Promise<void> {
    await this.event(this.db, userId, what, actorId, details);
  }
}
