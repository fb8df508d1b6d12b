import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProviderResult } from '../src/providers/recharge/types';
import {
  checkNowSignal,
  outcomeUpdate,
  providerUpdateSignal,
  rechargeStateQuery,
  resolveSignal,
  type ProviderUpdate,
  type RechargeState,
  type RechargeWorkflowInput,
  type Resolution,
} from '../src/recharges/workflow-api';
import type { RechargeFailureCode, RechargeStatus } from '../src/recharges/types';
import { searchAttributes } from '../src/temporal/search-attributes';
import type { Notification } from '../activities/notifications';
import { confirmAndRefund } from './refund';

// Database-only steps run as local activities: no extra history events, no task-queue round
// trip. Each is idempotent, so a worker dying mid-step just runs it again.
const {
  holdForRecharge,
  captureRecharge,
  releaseRechargeHold,
  markRecharge,
  noteRecharge,
  startNotifications,
  screenAndReserve,
  settleRechargeSuccess,
  settleRechargeFailure,
} = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

// Provider calls: the adapter has its own request timeout and reports a timeout as "unknown"
// (never a failure); heartbeats let a replacement worker take over quickly after a crash.
const { submitRecharge, checkRechargeStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The patches a run started from 'earlier-patches-in-one' on takes without recording each. */
type EarlierPatch =
  | 'activities-named-for-money'
  | 'answers-before-submission-result'
  | 'accepted-then-failed-is-final'
  | 'act-on-every-final-answer'
  | 'alerts-from-events';

type Patches = (id: EarlierPatch) => boolean;

/**
 * Which earlier patches' new branches this run takes; asked first thing in a run. Every patch a
 * run records costs two history events (its marker, and the TemporalChangeVersion search
 * attribute the SDK upserts beside it) and a visibility write, three of them on the hot path; a
 * run started from the 'earlier-patches-in-one' patch on records that one instead and takes every
 * EarlierPatch. Runs started before it ask each patch, as they did. A patch added later calls
 * patched() itself.
 */
function earlierPatches(): Patches {
  const inOne = patched('earlier-patches-in-one');
  return (id) => inOne || patched(id);
}

/** The money steps under the names this run's history records them by. */
function moneySteps(has: Patches) {
  return has('activities-named-for-money')
    ? { hold: holdForRecharge, capture: captureRecharge, release: releaseRechargeHold }
    : { hold: screenAndReserve, capture: settleRechargeSuccess, release: settleRechargeFailure };
}

const finalStatuses: RechargeStatus[] = ['success', 'failed', 'reversed'];

type Outcome =
  | { kind: 'success'; operatorRef: string | null; note: string }
  | { kind: 'failed'; code: RechargeFailureCode; reason: string; note: string };

/** A final provider answer as an outcome; undefined while the provider still has no answer. */
function outcomeOf(r: ProviderResult, source: string): Outcome | undefined {
  switch (r.status) {
    case 'success':
      return { kind: 'success', operatorRef: r.operatorRef, note: `${source}: success` };
    case 'failed':
      return { kind: 'failed', code: 'PROVIDER_DECLINED', reason: r.message, note: `${source}: failed (${r.code})` };
    case 'reversed':
      return {
        kind: 'failed',
        code: 'REVERSED',
        reason: r.message ?? 'reversed by the operator',
        note: `${source}: reversed`,
      };
    default:
      return undefined;
  }
}

/**
 * One recharge, from request to final money movement (../shared/DESIGN.md "The recharge workflow"):
 * screen and hold, route and submit (failing over on provider faults), await the outcome by
 * callback or status polls, then settle: capture + commissions on success, release on failure.
 * A recharge nobody can settle goes to manual review, where support resolves it by signal.
 */
export async function rechargeWorkflow(input: RechargeWorkflowInput): Promise<RechargeState> {
  const has = earlierPatches();
  const state: RechargeState = {
    rechargeId: input.rechargeId,
    status: 'received',
    provider: null,
    operatorRef: null,
    failureReason: null,
    rejection: null,
  };
  let screened = false;
  const inbox: Inbox = { answers: [], checkNow: false };

  const setStatus = (status: RechargeStatus) => {
    state.status = status;
    upsertSearchAttributes([
      { key: searchAttributes.rechargeStatus, value: status },
      ...(state.provider ? [{ key: searchAttributes.provider, value: state.provider }] : []),
    ]);
  };
  const isFinal = () => finalStatuses.includes(state.status);

  setHandler(rechargeStateQuery, () => state);
  setHandler(outcomeUpdate, async ({ untilFinal }) => {
    await condition(() => screened && (!untilFinal || isFinal()));
    return state;
  });
  // Callbacks may repeat or arrive out of order: only final answers from the provider that has
  // the recharge, about its own transaction, count; each is kept, in order, to be acted on. One
  // may arrive while the submission is still in flight (the provider answered and called back
  // before the activity's result came): it is kept, and sorted out once the holder is known.
  const keepEarlyAnswers = has('answers-before-submission-result');
  setHandler(providerUpdateSignal, (u: ProviderUpdate) => {
    if (!outcomeOf(u.result, 'callback')) return;
    if (!keepEarlyAnswers && u.provider !== state.provider) return;
    if (state.provider !== null && !aboutHeldRecharge(u, state)) return;
    inbox.answers.push(u);
  });
  setHandler(resolveSignal, (r: Resolution) => {
    if (!inbox.resolution && !isFinal()) inbox.resolution = r;
  });
  setHandler(checkNowSignal, () => {
    inbox.checkNow = true;
  });

  const money = moneySteps(has);
  const screening = await money.hold({ ...input, workflowId: workflowInfo().workflowId });
  if (!screening.ok) {
    state.rejection = {
      code: screening.code,
      message: screening.message,
      ...(screening.rule === undefined ? {} : { rule: screening.rule }),
    };
    state.failureReason = screening.message;
    setStatus('failed');
    screened = true;
    await condition(allHandlersFinished);
    return state;
  }
  const review = screening.review && patched('risk-review');
  if (review) setStatus('manual_review');
  else state.status = 'processing';
  screened = true;

  const outcome =
    (review ? await riskReview(input, inbox, setStatus) : undefined) ??
    (await route(input, state, inbox, setStatus, has));

  if (outcome.kind === 'success') {
    state.operatorRef = outcome.operatorRef;
    await money.capture({
      rechargeId: input.rechargeId,
      userId: input.userId,
      operator: input.operator,
      amountPaise: input.amountPaise,
      provider: state.provider!,
      operatorRef: outcome.operatorRef,
      note: outcome.note,
    });
    setStatus('success');
  } else {
    state.failureReason = outcome.reason;
    await money.release({
      rechargeId: input.rechargeId,
      code: outcome.code,
      reason: outcome.reason,
      note: outcome.note,
    });
    setStatus('failed');
  }
  await notifyOldRuns(input, state, has);
  // Answers that came after the outcome (success then reversed, during settlement or just
  // before closing) are acted on here. Checked right before returning, in the same workflow
  // task: one that arrives later fails the completion and is handled on the next task; once
  // the workflow has closed, the API sends it to the reversal workflow instead.
  for (;;) {
    await condition(allHandlersFinished);
    const later = inbox.answers.shift();
    if (!later) break;
    if (!has('act-on-every-final-answer')) continue;
    await actOnLaterAnswer(input, state, later, has);
  }
  return state;
}

/** Whether an answer comes from the provider holding the recharge, about its own transaction. */
function aboutHeldRecharge(u: ProviderUpdate, state: RechargeState): boolean {
  if (u.provider !== state.provider) return false;
  const txnId = 'providerTxnId' in u.result ? u.result.providerTxnId : null;
  return !state.providerTxnId || !txnId || txnId === state.providerTxnId;
}

/** What signals have delivered, read by the waiting loop. */
interface Inbox {
  /** Final answers from the provider holding the recharge, oldest first, not yet acted on. */
  answers: ProviderUpdate[];
  resolution?: Resolution;
  checkNow: boolean;
}

/**
 * A final answer after the recharge was settled: a reversal of a success is confirmed with the
 * provider and refunded; a success after the amount was released is noted for support (the
 * subscriber has the recharge but the wallet got its money back).
 */
async function actOnLaterAnswer(
  input: RechargeWorkflowInput,
  state: RechargeState,
  u: ProviderUpdate,
  has: Patches,
): Promise<void> {
  const r = u.result;
  if (state.status === 'success' && (r.status === 'reversed' || r.status === 'failed')) {
    const refund = await confirmAndRefund({
      rechargeId: input.rechargeId,
      provider: u.provider,
      trigger: 'provider',
      reason: r.message ?? r.status,
      by: u.provider,
    });
    if (refund.reversed) {
      state.status = 'reversed';
      upsertSearchAttributes([{ key: searchAttributes.rechargeStatus, value: 'reversed' }]);
      await notifyOldRuns(input, state, has);
    }
  } else if (state.status === 'failed' && r.status === 'success') {
    await noteRecharge({
      rechargeId: input.rechargeId,
      status: 'failed',
      note: `late success from ${u.provider} after the amount was released: needs review`,
    });
  }
}

/**
 * A recharge a risk rule sent to review (src/risk) waits with its amount held until support
 * resolves it: failed is its outcome (the hold is released); success lets it go on to the
 * providers (undefined).
 */
async function riskReview(
  input: RechargeWorkflowInput,
  inbox: Inbox,
  setStatus: (s: RechargeStatus) => void,
): Promise<Outcome | undefined> {
  await condition(() => inbox.resolution !== undefined);
  const r = inbox.resolution!;
  if (r.outcome === 'failed') return resolved(r);
  inbox.resolution = undefined;
  await markRecharge({
    rechargeId: input.rechargeId,
    status: 'processing',
    note: `approved after risk review by ${r.by}: ${r.note}`,
  });
  setStatus('processing');
  return undefined;
}

/** Submit, fail over, then wait for a final answer; ends with an outcome to settle. */
async function route(
  input: RechargeWorkflowInput,
  state: RechargeState,
  inbox: Inbox,
  setStatus: (s: RechargeStatus) => void,
  has: Patches,
): Promise<Outcome> {
  const tried: string[] = [];
  for (;;) {
    const sent = await submitRecharge({
      rechargeId: input.rechargeId,
      operator: input.operator,
      subscriber: input.subscriber,
      amountPaise: input.amountPaise,
      circle: input.circle,
      exclude: tried,
    });
    if (sent.provider === null) {
      return {
        kind: 'failed',
        code: 'NO_PROVIDER',
        reason: 'no provider could take the recharge',
        note: tried.length ? `every provider failed: ${tried.join(', ')}` : 'no provider available',
      };
    }
    state.provider = sent.provider;
    const r = sent.result;
    state.providerTxnId = 'providerTxnId' in r ? r.providerTxnId : null;
    // An answer from a provider we have failed over from is about a recharge it does not hold.
    inbox.answers = inbox.answers.filter((a) => aboutHeldRecharge(a, state));
    // A failure the provider reports for a recharge it had already accepted (learnt by the status
    // check of an interrupted attempt) is that recharge's outcome, as it is when learnt by a
    // callback or a poll: it is never sent to a second provider.
    const acceptedThenFailed = sent.checked === true && r.status === 'failed' && has('accepted-then-failed-is-final');
    if (r.status === 'unavailable' || (r.status === 'failed' && r.fault === 'provider' && !acceptedThenFailed)) {
      tried.push(sent.provider);
      continue; // the provider's trouble, not the subscriber's: next provider
    }
    const final = outcomeOf(r, sent.provider);
    if (final) return final;
    break; // pending, or no answer (a timeout is never a failure): wait for the outcome
  }

  setStatus('pending');
  await markRecharge({ rechargeId: input.rechargeId, status: 'pending', note: `awaiting ${state.provider}` });
  let expired = false;
  // A durable timer bounds the whole wait; the polls run on their own schedule inside it.
  void sleep(input.policy.maxPendingSeconds * 1000).then(() => (expired = true));
  const schedule = input.policy.pollScheduleSeconds.length ? input.policy.pollScheduleSeconds : [30];
  const heard = () => inbox.answers.length > 0 || inbox.resolution !== undefined;
  for (let i = 0; !expired; i++) {
    const waitMs = schedule[Math.min(i, schedule.length - 1)]! * 1000;
    await condition(() => heard() || inbox.checkNow || expired, waitMs);
    if (inbox.resolution) return resolved(inbox.resolution);
    if (inbox.answers.length) return firstAnswer(inbox);
    if (expired) break;
    inbox.checkNow = false;
    const polled = outcomeOf(
      await checkRechargeStatus({ rechargeId: input.rechargeId, provider: state.provider! }),
      `${state.provider} status check`,
    );
    if (polled) return polled;
  }

  setStatus('manual_review');
  await markRecharge({
    rechargeId: input.rechargeId,
    status: 'manual_review',
    note: `no final answer from ${state.provider} within ${input.policy.maxPendingSeconds} s`,
  });
  // The money stays held until support resolves it, or the provider finally calls back.
  await condition(heard);
  return inbox.resolution ? resolved(inbox.resolution) : firstAnswer(inbox);
}

function firstAnswer(inbox: Inbox): Outcome {
  const u = inbox.answers.shift()!;
  return outcomeOf(u.result, `${u.provider} callback`)!;
}

function resolved(r: Resolution): Outcome {
  const note = `resolved by ${r.by}: ${r.note}`;
  return r.outcome === 'success'
    ? { kind: 'success', operatorRef: r.operatorRef ?? null, note }
    : { kind: 'failed', code: 'RESOLVED_FAILED', reason: r.note, note };
}

/**
 * Runs from this patch on start no notification: the event dispatcher alerts on the status change
 * the settlement recorded (docs/ARCHITECTURE.md "Events"). Older runs started one
 * notificationWorkflow per message here.
 */
async function notifyOldRuns(input: RechargeWorkflowInput, state: RechargeState, has: Patches): Promise<void> {
  if (!has('alerts-from-events')) await notify(input, state);
}

/** SMS and email in their own workflows: an outage there never holds up money. */
async function notify(input: RechargeWorkflowInput, state: RechargeState): Promise<void> {
  const rupees = `₹${BigInt(input.amountPaise) / 100n}.${String(BigInt(input.amountPaise) % 100n).padStart(2, '0')}`;
  const what = `Recharge of ${rupees} for ${input.operator} ${input.subscriber}`;
  const text =
    state.status === 'success'
      ? `${what} succeeded. Ref ${state.operatorRef ?? input.rechargeId}.`
      : state.status === 'reversed'
        ? `${what} was reversed by the operator; the amount is back in your wallet.`
        : `${what} failed; the amount is back in your wallet.`;
  const messages: Notification[] = [];
  if (input.notify?.mobile) messages.push({ channel: 'sms', to: input.notify.mobile, body: text });
  if (input.notify?.email) {
    messages.push({ channel: 'email', to: input.notify.email, subject: `Recharge ${state.status}`, body: text });
  }
  if (messages.length) {
    await startNotifications({ idPrefix: `notify-${input.rechargeId}-${state.status}`, messages });
  }
}
