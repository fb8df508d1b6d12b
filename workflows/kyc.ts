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
import type { SealedPii } from '../src/security/pii';
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
  type OtpSent,
  type OtpVerdict,
  type PanResult,
  type PanSubmitted,
  type ProviderUnavailable,
  type ReKycTrigger,
} from '../src/kyc/workflow-api';

const { loadKycProfile, verifyMobileOtp, rejectKyc, recordPanOutcome, markReKycRequired, reKycDueIn } =
  proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

// A person is waiting on these: a provider (or SMS) outage must answer within seconds, not hang.
// The provider client's own timeout is shorter than startToClose; an open circuit fails at once.
const { sendMobileOtp, requestAadhaarOtp, verifyAadhaarOtp, submitPan, panStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

function conflict(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'CONFLICT');
}

/** A provider activity that failed for good: the provider is unavailable, unless it refused the request. */
function unavailableOrRethrow(err: unknown): ProviderUnavailable {
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
  if (cause?.type === 'PROVIDER_REJECTED') {
    throw ApplicationFailure.nonRetryable('The KYC provider refused this request', 'VALIDATION_FAILED');
  }
  return { status: 'provider_unavailable' };
}

/** What one run of the workflow knows and decides about the user's KYC. */
interface KycCase {
  userId: string;
  /** Set once the profile is loaded; steps wait for it. */
  settings: KycWorkflowSettings | undefined;
  snapshot: KycSnapshot;
  sessions: KycSessions;
  panResults: Map<string, PanResult>;
  triggers: ReKycTrigger[];
  /** A step or a state change is running; the others wait. */
  busy: boolean;
  /** A full verification completed in this run: time to continue as new. */
  cycleCompleted: boolean;
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
  const s: KycCase = {
    userId,
    settings: undefined,
    snapshot: {
      tier: 'none',
      status: 'not_started',
      reason: null,
      reKycRequired: false,
      steps: { mobile: false, aadhaar: false, pan: false },
      pendingPanRequestId: null,
    },
    sessions: input.carried ?? { mobile: null, aadhaar: null },
    panResults: new Map(),
    triggers: [],
    busy: false,
    cycleCompleted: false,
  };
  registerHandlers(s);

  const loaded = await loadKycProfile({ userId });
  s.snapshot = loaded.snapshot;
  s.settings = loaded.settings;

  for (;;) {
    const dueInMs = await reKycDueIn({ userId });
    const wake = () =>
      s.triggers.length > 0 ||
      s.snapshot.pendingPanRequestId !== null ||
      s.cycleCompleted ||
      workflowInfo().continueAsNewSuggested;
    let woken = true;
    if (dueInMs === null) await condition(wake);
    else woken = await condition(wake, Math.max(dueInMs, 1));
    if (!woken) {
      await markReKyc(s, { by: 'system', reason: 'periodic re-KYC is due' });
    } else if (s.triggers.length > 0) {
      await markReKyc(s, s.triggers.shift()!);
    } else if (s.snapshot.pendingPanRequestId !== null) {
      await settlePan(s, s.snapshot.pendingPanRequestId, loaded.settings);
    } else {
      await condition(() => allHandlersFinished() && !s.busy);
      if (s.triggers.length === 0 && s.snapshot.pendingPanRequestId === null) {
        await continueAsNew<typeof kycWorkflow>({ userId, carried: s.sessions });
      }
    }
  }
}

/** The state query, a step per update, and the PAN verdict and re-KYC trigger signals. */
function registerHandlers(s: KycCase): void {
  setHandler(kycStateQuery, () => s.snapshot);
  setHandler(requestMobileOtpUpdate, () =>
    step(
      s,
      () => checkMobileUnverified(s),
      () => sendMobileOtpStep(s),
    ),
  );
  setHandler(verifyMobileOtpUpdate, ({ otp }) =>
    step(
      s,
      () => {
        checkMobileUnverified(s);
        if (!s.sessions.mobile) conflict('No mobile OTP is outstanding: request one first');
      },
      () => checkMobileOtpStep(s, otp),
    ),
  );
  setHandler(requestAadhaarOtpUpdate, ({ aadhaar }) =>
    step(
      s,
      () => checkAadhaarOrPanAllowed(s),
      () => sendAadhaarOtpStep(s, aadhaar),
    ),
  );
  setHandler(verifyAadhaarOtpUpdate, ({ otp }) =>
    step(
      s,
      () => {
        if (!s.sessions.aadhaar) conflict('No Aadhaar OTP is outstanding: request one first');
      },
      () => checkAadhaarOtpStep(s, otp),
    ),
  );
  setHandler(submitPanUpdate, ({ pan, name }) =>
    step(
      s,
      () => {
        checkAadhaarOrPanAllowed(s);
        if (!s.snapshot.steps.aadhaar) conflict('Verify Aadhaar first');
      },
      () => submitPanStep(s, pan, name),
    ),
  );

  // Duplicate and late verdicts are harmless: only the pending request's first verdict counts.
  setHandler(panResultSignal, (r: PanResult) => {
    if (!s.panResults.has(r.requestId)) s.panResults.set(r.requestId, r);
  });
  setHandler(reKycSignal, (t: ReKycTrigger) => {
    s.triggers.push(t);
  });
}

/** Steps run one at a time, after the profile is loaded; a waiting step sees the state its predecessor left. */
async function step<R>(s: KycCase, check: () => void, run: () => Promise<R>): Promise<R> {
  await condition(() => s.settings !== undefined && !s.busy);
  check();
  s.busy = true;
  try {
    return await run();
  } finally {
    s.busy = false;
  }
}

/** A state change outside the steps (PAN verdict, re-KYC), once no step is running. */
async function exclusively(s: KycCase, run: () => Promise<KycSnapshot>): Promise<void> {
  await condition(() => !s.busy);
  s.busy = true;
  try {
    s.snapshot = await run();
  } finally {
    s.busy = false;
  }
}

const fullyVerified = (s: KycCase) => s.snapshot.tier === 'full' && !s.snapshot.reKycRequired;

function checkMobileUnverified(s: KycCase): void {
  if (s.snapshot.steps.mobile) conflict('The mobile number is already verified');
}

function checkAadhaarOrPanAllowed(s: KycCase): void {
  if (!s.snapshot.steps.mobile) conflict('Verify the mobile number first');
  if (fullyVerified(s)) conflict('KYC is already complete');
  if (s.snapshot.pendingPanRequestId) conflict('A PAN verification is in progress');
}

async function sendMobileOtpStep(s: KycCase): Promise<OtpSent | ProviderUnavailable> {
  try {
    const sent = await sendMobileOtp({ userId: s.userId });
    s.snapshot = sent.snapshot;
    s.sessions.mobile = { triesLeft: s.settings!.otpMaxTries };
    return { status: 'otp_sent', expiresAt: sent.expiresAt };
  } catch (err) {
    return unavailableOrRethrow(err);
  }
}

async function checkMobileOtpStep(s: KycCase, otp: string): Promise<OtpVerdict> {
  const session = s.sessions.mobile!;
  const checked = await verifyMobileOtp({ userId: s.userId, otp });
  s.snapshot = checked.snapshot;
  if (checked.status === 'VERIFIED') {
    s.sessions.mobile = null;
    return { status: 'verified', tier: s.snapshot.tier };
  }
  if (checked.status === 'EXPIRED') {
    s.sessions.mobile = null;
    return { status: 'otp_expired' };
  }
  session.triesLeft -= 1;
  if (session.triesLeft > 0) return { status: 'invalid_otp', attemptsLeft: session.triesLeft };
  s.sessions.mobile = null;
  return attemptsExceeded(s);
}

async function sendAadhaarOtpStep(s: KycCase, aadhaar: SealedPii): Promise<OtpSent | ProviderUnavailable> {
  try {
    const sent = await requestAadhaarOtp({ userId: s.userId, aadhaar });
    s.snapshot = sent.snapshot;
    s.sessions.aadhaar = {
      requestId: sent.requestId,
      expiresAt: sent.expiresAt,
      triesLeft: s.settings!.otpMaxTries,
      aadhaar,
    };
    return { status: 'otp_sent', expiresAt: sent.expiresAt };
  } catch (err) {
    return unavailableOrRethrow(err);
  }
}

async function checkAadhaarOtpStep(s: KycCase, otp: string): Promise<OtpVerdict> {
  const session = s.sessions.aadhaar!;
  let checked;
  try {
    checked = await verifyAadhaarOtp({ userId: s.userId, ...session, otp });
  } catch (err) {
    return unavailableOrRethrow(err);
  }
  s.snapshot = checked.snapshot;
  switch (checked.status) {
    case 'VERIFIED':
      s.sessions.aadhaar = null;
      return { status: 'verified', tier: s.snapshot.tier };
    case 'ALREADY_USED':
      s.sessions.aadhaar = null;
      return { status: 'rejected', reason: 'AADHAAR_ALREADY_USED' };
    case 'EXPIRED':
      s.sessions.aadhaar = null;
      return { status: 'otp_expired' };
    case 'INVALID_OTP':
      session.triesLeft -= 1;
      if (session.triesLeft > 0) return { status: 'invalid_otp', attemptsLeft: session.triesLeft };
      s.sessions.aadhaar = null;
      return attemptsExceeded(s);
    case 'ATTEMPTS_EXCEEDED':
      s.sessions.aadhaar = null;
      return attemptsExceeded(s);
  }
}

/** The session's last try was wrong: it is closed, and a new OTP must be requested. */
async function attemptsExceeded(s: KycCase): Promise<OtpVerdict> {
  s.snapshot = await rejectKyc({ userId: s.userId, reason: 'OTP_ATTEMPTS_EXCEEDED' });
  return { status: 'attempts_exceeded', attemptsLeft: 0 };
}

async function submitPanStep(s: KycCase, pan: SealedPii, name: string): Promise<PanSubmitted> {
  try {
    const submitted = await submitPan({ userId: s.userId, pan, name, clientRef: `kyc_${uuid4()}` });
    s.snapshot = submitted.snapshot;
    return { status: 'pan_pending' };
  } catch (err) {
    return unavailableOrRethrow(err);
  }
}

/** Waits for the PAN verdict: the webhook's signal, or a status poll when it does not come. */
async function settlePan(
  s: KycCase,
  requestId: string,
  { panPollSeconds, panMaxWaitSeconds }: KycWorkflowSettings,
): Promise<void> {
  let waited = 0;
  let verdict: PanResult | undefined;
  while (!verdict) {
    if (await condition(() => s.panResults.has(requestId), `${panPollSeconds} seconds`)) {
      verdict = s.panResults.get(requestId)!;
      break;
    }
    waited += panPollSeconds;
    try {
      const polled = await panStatus({ requestId });
      if (polled.status !== 'PENDING') verdict = { requestId, status: polled.status, reason: polled.reason };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
    }
    if (!verdict && waited >= panMaxWaitSeconds) {
      verdict = { requestId, status: 'REJECTED', reason: 'PROVIDER_NO_ANSWER' };
    }
  }
  const outcome = verdict;
  await exclusively(s, () => recordPanOutcome({ userId: s.userId, ...outcome }));
  if (s.snapshot.status === 'verified') s.cycleCompleted = true;
}

function markReKyc(s: KycCase, t: ReKycTrigger): Promise<void> {
  return exclusively(s, () => markReKycRequired({ userId: s.userId, ...t }));
}
