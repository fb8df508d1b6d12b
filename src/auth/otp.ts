import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { auditTypes, recordAudit } from '../audit/log';
import type { Config } from '../config';
import { AppError } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { SmsSender } from '../notify/sms';
import type { RequestOrigin } from './sessions';

export interface OtpChallenge {
  challengeId: string;
  expiresAt: Date;
}

export function generateOtp(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** An OTP is stored only as an HMAC under a server secret, bound to its challenge. */
export function otpHash(secret: string, challengeId: string, otp: string): string {
  return hmac(secret, `otp\n${challengeId}\n${otp}`);
}

/** Mobiles typed at the sign-in form are kept only as HMACs (they may belong to nobody). */
export function mobileHash(secret: string, mobile: string): string {
  return hmac(secret, `mobile\n${mobile}`);
}

const wrongCode = (attemptsLeft?: number) =>
  new AppError('UNAUTHENTICATED', 'Invalid or expired code', attemptsLeft === undefined ? undefined : { attemptsLeft });

interface ChallengeRow {
  id: string;
  user_id: string | null;
  otp_hash: string;
  attempts: number;
  live: boolean;
}

/**
 * Sign-in OTPs. A request for any well-formed mobile gets the same answer; only a registered,
 * active user is sent an SMS. Each challenge allows a few tries, then it is dead.
 */
export class OtpService {
  constructor(
    private readonly db: Knex,
    private readonly cfg: Config['auth'],
    private readonly sms: SmsSender,
    private readonly log: Logger,
  ) {}

  /** The rate-limit bucket of a mobile: by HMAC, so the limiter's table holds no numbers. */
  mobileBucket(mobile: string): string {
    return `otp-mobile:${mobileHash(this.cfg.otpSecret, mobile)}`;
  }

  async request(mobile: string): Promise<OtpChallenge> {
    const user = (await this.db('users').where({ mobile }).first('id', 'status')) as
      { id: string; status: string } | undefined;
    const recipient = user && user.status !== 'suspended' ? user.id : null;
    const challengeId = newId('otp');
    const otp = generateOtp();
    const [row] = (await this.db('otp_challenges')
      .insert({
        id: challengeId,
        mobile_hash: mobileHash(this.cfg.otpSecret, mobile),
        user_id: recipient,
        otp_hash: otpHash(this.cfg.otpSecret, challengeId, otp),
        expires_at: this.db.raw('now() + ?::interval', [`${this.cfg.otpTtlSeconds} seconds`]),
      })
      .returning('expires_at')) as Array<{ expires_at: Date }>;
    if (recipient) {
      // Sent after answering, so the response time does not tell registered numbers apart.
      const minutes = Math.round(this.cfg.otpTtlSeconds / 60);
      const text = `${otp} is your Tijori sign-in code. It expires in ${minutes} min. Never share it with anyone.`;
      this.sms.send(`+91${mobile}`, text).then(
        () => this.log.info({ challengeId, userId: recipient }, 'sign-in code sent'),
        (err: { code?: unknown; status?: unknown }) =>
          // Only the code and status: a client error may carry the request, and with it the OTP.
          this.log.warn(
            { challengeId, userId: recipient, code: err?.code, status: err?.status },
            'sign-in code not sent',
          ),
      );
    }
    return { challengeId, expiresAt: row!.expires_at };
  }

  /**
   * Checks a code; a correct one is spent and `signIn` runs in the same transaction. A wrong,
   * expired or spent code is 401, and a wrong one uses up one of the challenge's tries for good.
   */
  async verify<T>(
    challengeId: string,
    otp: string,
    origin: RequestOrigin,
    signIn: (trx: Knex.Transaction, userId: string) => Promise<T>,
  ): Promise<T> {
    const max = this.cfg.otpMaxAttempts;
    const outcome = await this.db.transaction(async (trx) => {
      const row = (await trx('otp_challenges')
        .where({ id: challengeId })
        .forUpdate()
        .first(
          'id',
          'user_id',
          'otp_hash',
          'attempts',
          trx.raw('(consumed_at is null and expires_at > now()) as live'),
        )) as ChallengeRow | undefined;
      if (!row || !row.live || row.attempts >= max) return { ok: false as const };
      const attempts = row.attempts + 1;
      const expected = Buffer.from(row.otp_hash, 'hex');
      const given = Buffer.from(otpHash(this.cfg.otpSecret, challengeId, otp), 'hex');
      const correct = row.user_id !== null && timingSafeEqual(expected, given);
      await trx('otp_challenges')
        .where({ id: challengeId })
        .update({ attempts, ...(correct ? { consumed_at: trx.fn.now() } : {}) });
      if (!correct) {
        await recordAudit(trx, {
          type: auditTypes.otpFailed,
          subjectId: row.user_id,
          ...origin,
          details: { challengeId, attempt: attempts, attemptsLeft: max - attempts },
        });
        return { ok: false as const, attemptsLeft: max - attempts };
      }
      return { ok: true as const, value: await signIn(trx, row.user_id!) };
    });
    if (!outcome.ok) throw wrongCode(outcome.attemptsLeft);
    return outcome.value;
  }
}
