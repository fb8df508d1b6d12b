import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SealedPii } from '../security/pii';
import type { KycSnapshot, KycTier } from './types';

/** The KYC workflow's interface, shared by the workflow and its clients (API). */
export interface KycWorkflowInput {
  userId: string;
  /** OTP sessions still open when the previous run continued as new. */
  carried?: KycSessions;
}

export interface KycSessions {
  mobile: { triesLeft: number } | null;
  aadhaar: { requestId: string; expiresAt: string; triesLeft: number; aadhaar: SealedPii } | null;
}

export type ProviderUnavailable = { status: 'provider_unavailable' };

export type OtpSent = { status: 'otp_sent'; expiresAt: string };

export type OtpVerdict =
  | { status: 'verified'; tier: KycTier }
  | { status: 'invalid_otp'; attemptsLeft: number }
  | { status: 'otp_expired' }
  | { status: 'attempts_exceeded'; attemptsLeft: 0 }
  | { status: 'rejected'; reason: string }
  | ProviderUnavailable;

export type PanSubmitted = { status: 'pan_pending' } | ProviderUnavailable;

export interface PanResult {
  requestId: string;
  status: 'VERIFIED' | 'REJECTED';
  reason: string | null;
}

export interface ReKycTrigger {
  by: string;
  reason: string;
}

/** Updates answer synchronously ("OTP sent", "invalid OTP, 2 tries left"); signals are facts. */
export const requestMobileOtpUpdate = defineUpdate<OtpSent | ProviderUnavailable, []>('requestMobileOtp');
export const verifyMobileOtpUpdate = defineUpdate<OtpVerdict, [{ otp: string }]>('verifyMobileOtp');
export const requestAadhaarOtpUpdate = defineUpdate<OtpSent | ProviderUnavailable, [{ aadhaar: SealedPii }]>(
  'requestAadhaarOtp',
);
export const verifyAadhaarOtpUpdate = defineUpdate<OtpVerdict, [{ otp: string }]>('verifyAadhaarOtp');
export const submitPanUpdate = defineUpdate<PanSubmitted, [{ pan: SealedPii; name: string }]>('submitPan');
export const panResultSignal = defineSignal<[PanResult]>('panResult');
export const reKycSignal = defineSignal<[ReKycTrigger]>('reKyc');
export const kycStateQuery = defineQuery<KycSnapshot>('state');
