import { timingSafeEqual } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { generateOtp, otpHash } from '../src/auth/otp';
import type { Db } from '../src/db/knex';
import { capFor, type KycCapsConfig } from '../src/kyc/caps';
import { CircuitOpenError } from '../src/providers/circuit-breakers';
import {
  KycProviderRejected,
  KycProviderUnavailable,
  type AadhaarVerifyStatus,
  type KycProviderClient,
  type PanStatus,
} from '../src/kyc/provider-client';
import type { KycStore } from '../src/kyc/store';
import type { KycSnapshot } from '../src/kyc/types';
import { walletAccountId, type Ledger } from '../src/ledger';
import type { SmsSender } from '../src/notify/sms';
import type { PiiVault, SealedPii } from '../src/security/pii';
import { findUser } from '../src/users/store';

export interface KycSettings {
  caps: KycCapsConfig;
  /** The platform's OTP hashing secret (config.auth.otpSecret), shared with sign-in codes. */
  otpSecret: string;
  reKycIntervalSeconds: number;
  otpTtlSeconds: number;
  otpMaxTries: number;
  panPollSeconds: number;
  panMaxWaitSeconds: number;
}

export interface KycDeps {
  db: Db;
  ledger: Ledger;
  sms: SmsSender;
  kycStore: KycStore;
  kycProvider: KycProviderClient;
  pii: PiiVault;
  kycSettings: KycSettings;
}

/** What the workflow needs of the worker's configuration; read again at each continue-as-new. */
export type KycWorkflowSettings = Pick<KycSettings, 'otpMaxTries' | 'panPollSeconds' | 'panMaxWaitSeconds'>;

/**
 * Provider errors as activity failures: an outage is retried within the workflow's bounded retry
 * policy, then reported as `provider_unavailable`; an open circuit and a refusal are final.
 */
function providerFailure(err: unknown): unknown {
  if (err instanceof CircuitOpenError) return ApplicationFailure.nonRetryable(err.message, 'PROVIDER_UNAVAILABLE');
  if (err instanceof KycProviderRejected) {
    return ApplicationFailure.nonRetryable(err.message, 'PROVIDER_REJECTED', { code: err.code });
  }
  if (err instanceof KycProviderUnavailable) return ApplicationFailure.retryable(err.message, 'PROVIDER_UNAVAILABLE');
  return err;
}

async function viaProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw providerFailure(err);
  }
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createKycActivities({ db, ledger, sms, kycStore, kycProvider, pii, kycSettings }: KycDeps) {
  /** The wallet cap follows the user's role and tier (and the configuration of the day). */
  async function applyCap(userId: string): Promise<void> {
    const user = await findUser(db, userId);
    if (!user || user.role === 'support') return;
    await ledger.setAccountCap(walletAccountId(userId), capFor(user.role, user.kycTier, kycSettings.caps));
  }

  // One outstanding KYC code per user: the hash is bound to the user, and a new code replaces it.
  const mobileOtpHash = (userId: string, otp: string) => otpHash(kycSettings.otpSecret, `kyc-mobile:${userId}`, otp);

  return {
    async loadKycProfile(input: { userId: string }): Promise<{ snapshot: KycSnapshot; settings: KycWorkflowSettings }> {
      const snapshot = await kycStore.ensure(input.userId);
      await applyCap(input.userId);
      const { otpMaxTries, panPollSeconds, panMaxWaitSeconds } = kycSettings;
      return { snapshot, settings: { otpMaxTries, panPollSeconds, panMaxWaitSeconds } };
    },

    async reKycDueIn(input: { userId: string }): Promise<number | null> {
      return kycStore.reKycDueInMs(input.userId);
    },

    /** A new 6-digit code by SMS to the user's registered mobile; only its keyed hash is kept. */
    async sendMobileOtp(input: { userId: string }): Promise<{ expiresAt: string; snapshot: KycSnapshot }> {
      const user = await findUser(db, input.userId);
      if (!user) throw ApplicationFailure.nonRetryable('no such user', 'NOT_FOUND');
      const otp = generateOtp();
      const expiresAt = new Date(Date.now() + kycSettings.otpTtlSeconds * 1000);
      await kycStore.setMobileOtp(input.userId, mobileOtpHash(input.userId, otp), expiresAt);
      const minutes = Math.round(kycSettings.otpTtlSeconds / 60);
      await sms.send(
        `+91${user.mobile}`,
        `${otp} is your Tijori KYC code. It expires in ${minutes} minutes. Never share it.`,
      );
      return { expiresAt: expiresAt.toISOString(), snapshot: await kycStore.snapshot(input.userId) };
    },

    async verifyMobileOtp(input: {
      userId: string;
      otp: string;
    }): Promise<{ status: 'VERIFIED' | 'INVALID_OTP' | 'EXPIRED'; snapshot: KycSnapshot }> {
      const sent = await kycStore.mobileOtp(input.userId);
      let status: 'VERIFIED' | 'INVALID_OTP' | 'EXPIRED';
      if (!sent.hash || !sent.expiresAt) status = 'EXPIRED';
      else if (!sameHex(sent.hash, mobileOtpHash(input.userId, input.otp))) status = 'INVALID_OTP';
      else if (sent.verified) status = 'VERIFIED';
      else if (sent.expiresAt.getTime() <= Date.now()) status = 'EXPIRED';
      else status = 'VERIFIED';
      if (status === 'VERIFIED') {
        await kycStore.recordMobileVerified(input.userId);
        await applyCap(input.userId);
      }
      return { status, snapshot: await kycStore.snapshot(input.userId) };
    },

    async requestAadhaarOtp(input: {
      userId: string;
      aadhaar: SealedPii;
    }): Promise<{ requestId: string; expiresAt: string; snapshot: KycSnapshot }> {
      const number = pii.decrypt('aadhaar', input.aadhaar.ciphertext);
      const sent = await viaProvider(() => kycProvider.requestAadhaarOtp(number));
      const ours = Date.now() + kycSettings.otpTtlSeconds * 1000;
      const expiresAt = new Date(Math.min(Date.parse(sent.expiresAt) || ours, ours)).toISOString();
      await kycStore.recordAadhaarOtpSent(input.userId);
      return { requestId: sent.requestId, expiresAt, snapshot: await kycStore.snapshot(input.userId) };
    },

    /** Checks the OTP with the provider; a verified Aadhaar is stored sealed, once per person. */
    async verifyAadhaarOtp(input: {
      userId: string;
      requestId: string;
      otp: string;
      expiresAt: string;
      aadhaar: SealedPii;
    }): Promise<{ status: AadhaarVerifyStatus | 'ALREADY_USED'; snapshot: KycSnapshot }> {
      let status: AadhaarVerifyStatus | 'ALREADY_USED';
      if (Date.parse(input.expiresAt) <= Date.now()) status = 'EXPIRED';
      else status = (await viaProvider(() => kycProvider.verifyAadhaarOtp(input.requestId, input.otp))).status;
      if (status === 'VERIFIED' && !(await kycStore.recordAadhaarVerified(input.userId, input.aadhaar))) {
        status = 'ALREADY_USED';
      }
      return { status, snapshot: await kycStore.snapshot(input.userId) };
    },

    /** Submits the PAN; the verdict comes later by webhook (signal) or status poll. */
    async submitPan(input: {
      userId: string;
      pan: SealedPii;
      name: string;
      clientRef: string;
    }): Promise<{ requestId: string; snapshot: KycSnapshot }> {
      const pan = pii.decrypt('pan', input.pan.ciphertext);
      const submitted = await viaProvider(() =>
        kycProvider.submitPan({ pan, name: input.name, clientRef: input.clientRef }),
      );
      await kycStore.recordPanSubmitted(input.userId, input.pan, submitted.requestId);
      return { requestId: submitted.requestId, snapshot: await kycStore.snapshot(input.userId) };
    },

    async panStatus(input: { requestId: string }): Promise<{ status: PanStatus; reason: string | null }> {
      const r = await viaProvider(() => kycProvider.panStatus(input.requestId));
      return { status: r.status, reason: r.reason };
    },

    async recordPanOutcome(input: {
      userId: string;
      requestId: string;
      status: 'VERIFIED' | 'REJECTED';
      reason: string | null;
    }): Promise<KycSnapshot> {
      await kycStore.recordPanOutcome(input.userId, input.requestId, input, kycSettings.reKycIntervalSeconds);
      await applyCap(input.userId);
      return kycStore.snapshot(input.userId);
    },

    async rejectKyc(input: { userId: string; reason: string }): Promise<KycSnapshot> {
      await kycStore.reject(input.userId, input.reason);
      return kycStore.snapshot(input.userId);
    },

    async markReKycRequired(input: { userId: string; by: string; reason: string }): Promise<KycSnapshot> {
      await kycStore.markReKycRequired(input.userId, input.by, input.reason);
      return kycStore.snapshot(input.userId);
    },
  };
}
