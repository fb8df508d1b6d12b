import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { AppError } from '../errors';

/**
 * The pre-transaction KYC check for money leaving a user's wallet by the user's choice (recharges,
 * downline credits). It reads the state cached in PostgreSQL by the KYC workflow, so no money
 * path ever waits on a KYC provider. A user without a KYC profile has never been asked for re-KYC.
 */
export async function assertKycAllowsSpend(db: Db | Knex.Transaction, userId: string): Promise<void> {
  const row = (await db('kyc_profiles').where({ user_id: userId }).first('re_kyc_required')) as
    { re_kyc_required: boolean } | undefined;
  if (row?.re_kyc_required) {
    throw new AppError('KYC_REQUIRED', 'Re-KYC is required: verify Aadhaar and PAN again before spending', {
      userId,
    });
  }
}
