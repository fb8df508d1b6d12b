import type { Request } from 'express';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { Caller } from '../users/types';
import { accountFrozen, mpinPattern, type MpinService } from './mpin';
import type { RequestOrigin } from './sessions';

export function originOf(req: Request): RequestOrigin {
  return { requestId: req.res?.locals.requestId as string | undefined, ip: req.ip };
}

/**
 * Step-up for a money-moving request: above the threshold (STEP_UP_THRESHOLD_PAISE, ₹10,000.00 by
 * default; the threshold itself needs none) the caller must send its own mPIN in `X-MPIN`.
 * Missing → 422 STEP_UP_REQUIRED (details.reason mpin_required); wrong → 422 STEP_UP_REQUIRED
 * (mpin_incorrect, attemptsLeft), counted toward the lock and the freeze; a frozen caller is
 * refused whatever the amount (422 USER_SUSPENDED, mpin_frozen). Call it before moving money and
 * outside the idempotency wrapper, so a refused step-up is not stored as the request's answer.
 */
export async function requireStepUp(
  deps: { config: Config; auth: { mpins: MpinService } },
  caller: Caller,
  req: Request,
  amountPaise: bigint,
): Promise<void> {
  if (caller.frozen) throw accountFrozen();
  const threshold = deps.config.auth.stepUpThresholdPaise;
  if (amountPaise <= threshold) return;
  const mpin = req.header('x-mpin');
  if (mpin === undefined || mpin === '') {
    throw new AppError('STEP_UP_REQUIRED', 'Amounts above the step-up threshold need the X-MPIN header', {
      reason: 'mpin_required',
      thresholdPaise: Number(threshold),
    });
  }
  if (!mpinPattern.test(mpin)) {
    throw new AppError('VALIDATION_FAILED', 'Invalid X-MPIN header', {
      fields: [{ path: 'headers.x-mpin', message: '6 digits' }],
    });
  }
  await deps.auth.mpins.check(caller.id, mpin, originOf(req));
}
