import type { KycTier } from '../users/types';

export type { KycTier };

/**
 * Where a user's KYC stands. The tier says what is verified; the status says what is happening:
 * `rejected` carries a reason, and `re_kyc_required` blocks spending until Aadhaar and PAN are
 * verified again (the block itself is `reKycRequired`, which stays set through the steps of the
 * new verification).
 */
export const kycStatuses = [
  'not_started',
  'mobile_otp_sent',
  'mobile_verified',
  'aadhaar_otp_sent',
  'aadhaar_verified',
  'pan_pending',
  'verified',
  'rejected',
  're_kyc_required',
] as const;
export type KycStatus = (typeof kycStatuses)[number];

/** The cached KYC state of a user, as the workflow and the pre-transaction check see it. */
export interface KycSnapshot {
  tier: KycTier;
  status: KycStatus;
  /** Why the last step was rejected: NAME_MISMATCH, PAN_ALREADY_USED, AADHAAR_ALREADY_USED, OTP_ATTEMPTS_EXCEEDED, PROVIDER_NO_ANSWER… */
  reason: string | null;
  reKycRequired: boolean;
  /** Steps verified in the current cycle (a re-KYC starts a new cycle for Aadhaar and PAN). */
  steps: { mobile: boolean; aadhaar: boolean; pan: boolean };
  /** The PAN request still awaiting the provider's answer, if any. */
  pendingPanRequestId: string | null;
}

export interface KycProfile {
  userId: string;
  tier: KycTier;
  status: KycStatus;
  reason: string | null;
  reKycRequired: boolean;
  reKycDueAt: Date | null;
  aadhaarLast4: string | null;
  panLast4: string | null;
  updatedAt: Date;
}

export const kycWorkflowId = (userId: string) => `kyc-${userId}`;
