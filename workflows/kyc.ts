import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { KycWorkflowSettings } from '../activities/kyc';
import type { KycSnapshot } from '../src/kyc/types';
import {
  kycStateQuery,
  panResultSignal,
  reKycSignal,
  requestAadhaarOtpUpdate,
  requestMobileOtpUpdate,
  submitPanUpdate,
  verifyAadhaarOtpUpdate,
  verifyMobileOtpUpdate,
  type KycSessions,
  type KycWorkflowInput,
  type OtpVerdict,
  type PanResult,
  type ReKycTrigger,
} from '../src/kyc/workflow-api';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A person is waiting on these: a provider (or SMS) outage must answer within seconds, not hang.
// The provider client's own timeout is shorter than startToClose; an open circuit fails at once.
const provider = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

function conflict(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'CONFLICT');
}

/** A provider activity that failed for good: the provider is unavailable, unless it refused the request. */
function unavailableOrRethrow(err: unknown): { status: 'provider_unavailable' } {
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
  if (cause?.type === 'PROVIDER_REJECTED') {
    throw ApplicationFailure.nonRetryable('The KYC provider refused this request', 'VALIDATION_FAILED');
  }
  return { status: 'provider_unavailable' };
}

/**
 * One per user (id `kyc-<userId>`), for the user's whole life: mobile OTP (tier min), Aadhaar OTP
 * then PAN (tier full), and the periodic or triggered re-KYC that blocks spending until Aadhaar and
 * PAN are verified again. Steps arrive as updates (each answers at once: "OTP sent", "invalid OTP,
 * 2 tries left") and run one at a time; the PAN verdict (webhook) and re-KYC triggers arrive as
 * signals. The state it decides is written to PostgreSQL by its activities, where the API and the
 * pre-transaction check read it. After each full verification, or when the history grows long, it
 * continues as new, carrying only the OTP sessions still open.
 */
export async function kycWorkflow(input: KycWorkflowInput): Promise<void> {
  const { userId } = input;
  /** Set once the profile is loaded; steps wait for it. */
  let settings: KycWorkflowSettings | undefined = undefined;
  let snapshot: KycSnapshot = {
    tier: 'none',
    status: 'not_started',
    reason: null,
    reKycRequired: false,
    steps: { mobile: false, aadhaar: false, pan: false },
    pendingPanRequestId: null,
  };
  const sessions: KycSessions = input.carried ?? { mobile: null, aadhaar: null };
  const panResults = new Map<string, PanResult>();
  const triggers: ReKycTrigger[] = [];
  let busy = false;
  let cycleCompleted = false;

  const fullyVerified = () => snapshot.tier === 'full' && !snapshot.reKycRequired;

  /** Steps run one at a time, after the profile is loaded; a waiting step sees the state its predecessor left. */
  async function step<R>(check: () => void, run: () => Promise<R>): Promise<R> {
    await condition(() => settings !== undefined && !busy);
    check();
    busy = true;
    try {
      return await run();
    } finally {
      busy = false;
    }
  }

  setHandler(kycStateQuery, () => snapshot);

  setHandler(requestMobileOtpUpdate, () =>
    step(
      () => {
        if (snapshot.steps.mobile) conflict('The mobile number is already verified');
      },
      async () => {
        try {
          const sent = await provider.sendMobileOtp({ userId });
          snapshot = sent.snapshot;
          sessions.mobile = { triesLeft: settings!.otpMaxTries };
          return { status: 'otp_sent' as const, expiresAt: sent.expiresAt };
        } catch (err) {
          return unavailableOrRethrow(err);
        }
      },
    ),
  );

  setHandler(verifyMobileOtpUpdate, ({ otp }) =>
    step(
      () => {
        if (snapshot.steps.mobile) conflict('The mobile number is already verified');
        if (!sessions.mobile) conflict('No mobile OTP is outstanding: request one first');
      },
      async (): Promise<OtpVerdict> => {
        const session = sessions.mobile!;
        const checked = await db.verifyMobileOtp({ userId, otp });
        snapshot = checked.snapshot;
        if (checked.status === 'VERIFIED') {
          sessions.mobile = null;
          return { status: 'verified', tier: snapshot.tier };
        }
        if (checked.status === 'EXPIRED') {
          sessions.mobile = null;
          return { status: 'otp_expired' };
        }
        session.triesLeft -= 1;
        if (session.triesLeft > 0) return { status: 'invalid_otp', attemptsLeft: session.triesLeft };
        sessions.mobile = null;
        return attemptsExceeded();
      },
    ),
  );

  /** The session's last try was wrong: it is closed, and a new OTP must be requested. */
  async function attemptsExceeded(): Promise<OtpVerdict> {
    snapshot = await db.rejectKyc({ userId, reason: 'OTP_ATTEMPTS_EXCEEDED' });
    return { status: 'attempts_exceeded', attemptsLeft: 0 };
  }

  const checkAadhaarOrPanAllowed = () => {
    if (!snapshot.steps.mobile) conflict('Verify the mobile number first');
    if (fullyVerified()) conflict('KYC is already complete');
    if (snapshot.pendingPanRequestId) conflict('A PAN verification is in progress');
  };

  setHandler(requestAadhaarOtpUpdate, ({ aadhaar }) =>
    step(checkAadhaarOrPanAllowed, async () => {
      try {
        const sent = await provider.requestAadhaarOtp({ userId, aadhaar });
        snapshot = sent.snapshot;
        sessions.aadhaar = {
          requestId: sent.requestId,
          expiresAt: sent.expiresAt,
          triesLeft: settings!.otpMaxTries,
          aadhaar,
        };
        return { status: 'otp_sent' as const, expiresAt: sent.expiresAt };
      } catch (err) {
        return unavailableOrRethrow(err);
      }
    }),
  );

  setHandler(verifyAadhaarOtpUpdate, ({ otp }) =>
    step(
      () => {
        if (!sessions.aadhaar) conflict('No Aadhaar OTP is outstanding: request one first');
      },
      async (): Promise<OtpVerdict> => {
        const session = sessions.aadhaar!;
        let checked;
        try {
          checked = await provider.verifyAadhaarOtp({ userId, ...session, otp });
        } catch (err) {
          return unavailableOrRethrow(err);
        }
        snapshot = checked.snapshot;
        switch (checked.status) {
          case 'VERIFIED':
            sessions.aadhaar = null;
            return { status: 'verified', tier: snapshot.tier };
          case 'ALREADY_USED':
            sessions.aadhaar = null;
            return { status: 'rejected', reason: 'AADHAAR_ALREADY_USED' };
          case 'EXPIRED':
            sessions.aadhaar = null;
            return { status: 'otp_expired' };
          case 'INVALID_OTP':
            session.triesLeft -= 1;
            if (session.triesLeft > 0) return { status: 'invalid_otp', attemptsLeft: session.triesLeft };
            sessions.aadhaar = null;
            return attemptsExceeded();
          case 'ATTEMPTS_EXCEEDED':
            sessions.aadhaar = null;
            return attemptsExceeded();
        }
      },
    ),
  );

  setHandler(submitPanUpdate, ({ pan, name }) =>
    step(
      () => {
        checkAadhaarOrPanAllowed();
        if (!snapshot.steps.aadhaar) conflict('Verify Aadhaar first');
      },
      async () => {
        try {
          const submitted = await provider.submitPan({ userId, pan, name, clientRef: `kyc_${uuid4()}` });
          snapshot = submitted.snapshot;
          return { status: 'pan_pending' as const };
        } catch (err) {
          return unavailableOrRethrow(err);
        }
      },
    ),
  );

  // Duplicate and late verdicts are harmless: only the pending request's first verdict counts.
  setHandler(panResultSignal, (r: PanResult) => {
    if (!panResults.has(r.requestId)) panResults.set(r.requestId, r);
  });

  setHandler(reKycSignal, (t: ReKycTrigger) => {
    triggers.push(t);
  });

  /** Waits for the PAN verdict: the webhook's signal, or a status poll when it does not come. */
  async function settlePan(
    requestId: string,
    { panPollSeconds, panMaxWaitSeconds }: KycWorkflowSettings,
  ): Promise<void> {
    let waited = 0;
    let verdict: PanResult | undefined;
    while (!verdict) {
      if (await condition(() => panResults.has(requestId), `${panPollSeconds} seconds`)) {
        verdict = panResults.get(requestId)!;
        break;
      }
      waited += panPollSeconds;
      try {
        const polled = await provider.panStatus({ requestId });
        if (polled.status !== 'PENDING') verdict = { requestId, status: polled.status, reason: polled.reason };
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
      }
      if (!verdict && waited >= panMaxWaitSeconds) {
        verdict = { requestId, status: 'REJECTED', reason: 'PROVIDER_NO_ANSWER' };
      }
    }
    await condition(() => !busy);
    busy = true;
    try {
      snapshot = await db.recordPanOutcome({ userId, ...verdict });
    } finally {
      busy = false;
    }
    if (snapshot.status === 'verified') cycleCompleted = true;
  }

  async function markReKyc(t: ReKycTrigger): Promise<void> {
    await condition(() => !busy);
    busy = true;
    try {
      snapshot = await db.markReKycRequired({ userId, ...t });
    } finally {
      busy = false;
    }
  }

  const loaded = await db.loadKycProfile({ userId });
  snapshot = loaded.snapshot;
  settings = loaded.settings;

  for (;;) {
    const dueInMs = await db.reKycDueIn({ userId });
    const wake = () =>
      triggers.length > 0 ||
      snapshot.pendingPanRequestId !== null ||
      cycleCompleted ||
      workflowInfo().continueAsNewSuggested;
    let woken = true;
    if (dueInMs === null) await condition(wake);
    else woken = await condition(wake, Math.max(dueInMs, 1));
    if (!woken) {
      await markReKyc({ by: 'system', reason: 'periodic re-KYC is due' });
    } else if (triggers.length > 0) {
      await markReKyc(triggers.shift()!);
    } else if (snapshot.pendingPanRequestId !== null) {
      await settlePan(snapshot.pendingPanRequestId, loaded.settings);
    } else {
      await condition(() => allHandlersFinished() && !busy);
      if (triggers.length === 0 && snapshot.pendingPanRequestId === null) {
        await continueAsNew<typeof kycWorkflow>({ userId, carried: sessions });
      }
    }
  }
}
