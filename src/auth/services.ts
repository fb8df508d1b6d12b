import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { SmsSender } from '../notify/sms';
import { MpinService } from './mpin';
import { OtpService } from './otp';
import { MemoryRateLimiter, PgRateLimiter, type RateLimiter } from './rate-limit';
import { SessionService } from './sessions';

/** Sign-in, sessions, mPINs and the limiters that guard them, as the HTTP layer uses them. */
export interface AuthServices {
  sessions: SessionService;
  otp: OtpService;
  mpins: MpinService;
  /** Shared by every API process (PostgreSQL): OTPs per mobile. */
  durableLimiter: RateLimiter;
  /** This process only (memory): requests per credential and auth requests per IP. */
  localLimiter: RateLimiter;
}

export function createAuthServices(config: Config, db: Db, sms: SmsSender, log: Logger): AuthServices {
  return {
    sessions: new SessionService(db, config.auth),
    otp: new OtpService(db, config.auth, sms, log),
    mpins: new MpinService(db, config.auth),
    durableLimiter: new PgRateLimiter(db),
    localLimiter: new MemoryRateLimiter(),
  };
}
