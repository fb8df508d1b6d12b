import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { SmsSender } from '../notify/sms';
import { MpinService } from './mpin';
import { OtpService } from './otp';
import { MemoryRateLimiter, PgRateLimiter, type RateLimiter } from './rate-limit';
import { SessionService, type RequestOrigin, type TokenPair } from './sessions';

/** Sign-in, sessions, mPINs and the limiters that guard them, as the HTTP layer uses them. */
export interface AuthServices {
  sessions: SessionService;
  otp: OtpService;
  mpins: MpinService;
  /** Portal sign-in: spends the challenge's code and starts a session, in one transaction. */
  signIn(challengeId: string, otp: string, origin: RequestOrigin): Promise<TokenPair>;
  /** Shared by every API process (PostgreSQL): OTPs per mobile. */
  durableLimiter: RateLimiter;
  /** This process only (memory): requests per credential and auth requests per IP. */
  localLimiter: RateLimiter;
}

export function createAuthServices(config: Config, db: Db, sms: SmsSender, log: Logger): AuthServices {
  const sessions = new SessionService(db, config.auth);
  const otp = new OtpService(db, config.auth, sms, log);
  return {
    sessions,
    otp,
    mpins: new MpinService(db, config.auth),
    durableLimiter: new PgRateLimiter(db),
    localLimiter: new MemoryRateLimiter(),
    signIn: (challengeId, code, origin) =>
      otp.verify(challengeId, code, origin, (trx, userId) => sessions.start(userId, origin, trx)),
  };
}
