import fc from 'fast-check';
import type { ProviderStatus } from './provider-callbacks';

/**
 * The pure side of the recharge model test (test/e2e/recharge-model.test.ts): scenarios, their
 * generators, and what the money semantics of ../shared/DESIGN.md ("Refunds, claw-backs and
 * dues", "Provider answers") say must come of them. Nothing here does I/O.
 *
 * A scenario is per recharge: how the provider first answers, then steps. A step is abstract
 * ("the provider reverses it, by callback"); `plan` turns it into concrete actions for the
 * current model state (set what the holder's status check says, send callbacks, dispute...) and
 * the next state. The model is kept deterministic whatever the timing: a step that changes what
 * the provider says waits for the previous step to have been acted on, and a change nobody is
 * told about by callback is made only while status polls are certain to see it.
 */

export type Provider = 'alpha' | 'beta';
export const otherProvider = (p: Provider): Provider => (p === 'alpha' ? 'beta' : 'alpha');

/** The provider's first answer, chosen through the simulator's test subscribers. */
export type Start =
  /** SUCCESS at once: any number at alpha; 9000000006 (alpha down) at beta. */
  | { kind: 'success'; holder: Provider }
  /** 9000000001: FAILED at once, invalid number (no failover). */
  | { kind: 'failed' }
  /** 9000000007: PENDING, no callback ever. */
  | { kind: 'pending' }
  /** 9000000004: the submission times out; status checks then answer `truth`. */
  | { kind: 'timeout'; truth: 'SUCCESS' | 'PENDING' | 'FAILED' };

/** After a step: go on at once, after a moment, or once the system has acted on it. */
export type Gap = 'none' | 'short' | 'settle';

export type Step =
  /** The provider's final answer: by callback, or silently (found by a status poll, or by a dispute's check). */
  | { t: 'answer'; outcome: 'success' | 'failed'; via: 'callback' | 'poll' | 'dispute'; copies: number; gap: Gap }
  /** Success, then a reversal `delayMs` later, both by callback (`reordered`: delivered reversal first). */
  | { t: 'successThenReversed'; reordered: boolean; delayMs: number; copies: number; gap: Gap }
  /** The provider reverses a success: by callback, or silently (a lost callback). */
  | { t: 'reverse'; via: 'callback' | 'silent'; copies: number; gap: Gap }
  /** A callback from the holder that its own status check contradicts (stale or wrong). */
  | { t: 'stale'; status: 'FAILED' | 'REVERSED' | 'PENDING'; gap: Gap }
  /** A signed callback from the provider that does not hold the recharge. */
  | { t: 'wrong'; status: ProviderStatus; copies: number; gap: Gap }
  /** The retailer disputes the recharge. */
  | { t: 'dispute'; gap: Gap }
  /** Support resolves it (POST /v1/ops/recharges/:id/resolve). */
  | { t: 'resolve'; outcome: 'success' | 'failed'; gap: Gap }
  /** Wait for manual review (RECHARGE_MAX_PENDING_SECONDS). */
  | { t: 'awaitReview'; gap: Gap }
  /** An upline spends everything it has (its upline pulls it back up). */
  | { t: 'spend'; who: 'distributor' | 'master'; gap: Gap }
  /** The distributor credits the retailer up to its KYC cap. */
  | { t: 'fillToCap'; gap: Gap }
  /** Ops retries (resets) a workflow (POST /v1/ops/workflows/:workflowId/retry). */
  | { t: 'retry'; which: 'recharge' | 'reversal'; gap: Gap };

export interface RechargeScenario {
  /** The amount, whole rupees. */
  rupees: number;
  /** The retailer starts with its KYC cap instead of the amount plus `extraRupees`. */
  atCap: boolean;
  extraRupees: number;
  start: Start;
  steps: Step[];
}

export interface RunScenario {
  recharges: RechargeScenario[];
}

/**
 * Where a recharge's money stands:
 *  open      held (pending or manual review)
 *  captured  success: captured, provider paid, commissions credited
 *  released  failed: hold voided
 *  refunded  reversed: captured, then refunded with every commission clawed back
 *  undone    one of released or refunded, the timing decides which (a reversal racing the
 *            success it reverses); the money is the same either way
 */
export type Phase = 'open' | 'captured' | 'released' | 'refunded' | 'undone';

export interface ModelState {
  phase: Phase;
  /** What the holder's status check answers now. */
  truth: ProviderStatus;
  holder: Provider;
}

export type Action =
  | { a: 'truth'; status: ProviderStatus }
  | { a: 'callback'; from: 'holder' | 'other'; status: ProviderStatus; copies: number }
  | { a: 'sleep'; ms: number }
  | { a: 'dispute' }
  | { a: 'resolve'; outcome: 'success' | 'failed' }
  | { a: 'awaitReview' }
  | { a: 'spend'; who: 'distributor' | 'master' }
  | { a: 'fillToCap' }
  | { a: 'retry'; which: 'recharge' | 'reversal' };

export interface Plan {
  actions: Action[];
  next: ModelState;
  /** Wait for the system to act on this step before the next one, whatever the gap. */
  settleAfter: boolean;
  /** How the step was adapted to the moment, for the report. */
  note?: string;
}

/** What the runner observed just before planning a step. */
export interface Moment {
  /** Pending for so short a time that status polls are certain to run before manual review. */
  pollsCertain: boolean;
}

export const SUBSCRIBERS = {
  failed: '9000000001',
  timeout: '9000000004',
  primaryDown: '9000000006',
  pending: '9000000007',
} as const;

export function initialState(start: Start): ModelState {
  switch (start.kind) {
    case 'success':
      return { phase: 'captured', truth: 'SUCCESS', holder: start.holder };
    case 'failed':
      return { phase: 'released', truth: 'FAILED', holder: 'alpha' };
    case 'pending':
      return { phase: 'open', truth: 'PENDING', holder: 'alpha' };
    case 'timeout':
      return {
        phase: start.truth === 'SUCCESS' ? 'captured' : start.truth === 'FAILED' ? 'released' : 'open',
        truth: start.truth,
        holder: 'alpha',
      };
  }
}

/** Steps that change what the provider says wait until the system has acted on the step before. */
export function settleBefore(step: Step): boolean {
  return ['answer', 'successThenReversed', 'reverse', 'resolve', 'spend', 'fillToCap'].includes(step.t);
}

const cb = (status: ProviderStatus, copies = 1, from: 'holder' | 'other' = 'holder'): Action => ({
  a: 'callback',
  from,
  status,
  copies,
});

/** The actions of one step in the current state, and the state they lead to. */
export function plan(s: ModelState, step: Step, moment: Moment): Plan {
  const open = s.phase === 'open';
  const at = (phase: Phase, truth: ProviderStatus = s.truth): ModelState => ({ ...s, phase, truth });
  const same: ModelState = { ...s };
  switch (step.t) {
    case 'answer': {
      const status: ProviderStatus = step.outcome === 'success' ? 'SUCCESS' : 'FAILED';
      if (open) {
        const next = at(step.outcome === 'success' ? 'captured' : 'released', status);
        if (step.via !== 'callback' && moment.pollsCertain) {
          const tell: Action[] = step.via === 'dispute' ? [{ a: 'dispute' }] : [];
          return { actions: [{ a: 'truth', status }, ...tell], next, settleAfter: true };
        }
        const note = step.via === 'callback' ? undefined : 'sent by callback: status polls may have stopped';
        return { actions: [{ a: 'truth', status }, cb(status, step.copies)], next, settleAfter: false, note };
      }
      // Settled already: a late success after a release is the provider changing its mind (it is
      // flagged, nothing moves); anything else is a repeat or a stale answer the status check
      // contradicts.
      if (s.phase === 'released' && step.outcome === 'success') {
        return {
          actions: [{ a: 'truth', status }, cb(status, step.copies)],
          next: at('released', status),
          settleAfter: false,
        };
      }
      return { actions: [cb(status, step.copies)], next: afterStale(s, status), settleAfter: false };
    }
    case 'successThenReversed': {
      const gap: Action[] = step.delayMs > 0 ? [{ a: 'sleep', ms: step.delayMs }] : [];
      const actions: Action[] = step.reordered
        ? [
            { a: 'truth', status: 'SUCCESS' },
            { a: 'truth', status: 'REVERSED' },
            cb('REVERSED', step.copies),
            ...gap,
            cb('SUCCESS', step.copies),
          ]
        : [
            { a: 'truth', status: 'SUCCESS' },
            cb('SUCCESS', step.copies),
            ...gap,
            { a: 'truth', status: 'REVERSED' },
            cb('REVERSED', step.copies),
          ];
      if (open) return { actions, next: at('undone', 'REVERSED'), settleAfter: false };
      if (s.phase === 'captured') return { actions, next: at('refunded', 'REVERSED'), settleAfter: false };
      // Never captured: the provider's story changes nothing. Already refunded: repeats.
      if (s.phase === 'released') return { actions, next: at('released', 'REVERSED'), settleAfter: false };
      return { actions: actions.filter((x) => x.a !== 'truth'), next: same, settleAfter: false };
    }
    case 'reverse': {
      if (open) {
        const next = at('undone', 'REVERSED');
        if (step.via === 'silent' && moment.pollsCertain) {
          return { actions: [{ a: 'truth', status: 'REVERSED' }], next, settleAfter: true };
        }
        const note = step.via === 'silent' ? 'sent by callback: status polls may have stopped' : undefined;
        return {
          actions: [{ a: 'truth', status: 'REVERSED' }, cb('REVERSED', step.copies)],
          next,
          settleAfter: false,
          note,
        };
      }
      if (s.phase === 'captured') {
        if (step.via === 'silent')
          return {
            actions: [{ a: 'truth', status: 'REVERSED' }],
            next: at('captured', 'REVERSED'),
            settleAfter: false,
          };
        return {
          actions: [{ a: 'truth', status: 'REVERSED' }, cb('REVERSED', step.copies)],
          next: at('refunded', 'REVERSED'),
          settleAfter: false,
        };
      }
      // A reversal of a recharge that was never captured, or a repeat: nothing to refund.
      return { actions: step.via === 'silent' ? [] : [cb('REVERSED', step.copies)], next: same, settleAfter: false };
    }
    case 'stale': {
      if (open) {
        // While it waits, a final answer is acted on as it comes: only PENDING is stale then.
        return {
          actions: [cb('PENDING')],
          next: same,
          settleAfter: false,
          note: 'sent as PENDING: the recharge is still open',
        };
      }
      return { actions: [cb(step.status)], next: afterStale(s, step.status), settleAfter: false };
    }
    case 'wrong':
      return { actions: [cb(step.status, step.copies, 'other')], next: same, settleAfter: false };
    case 'dispute': {
      // Open: the status check says PENDING (any final answer was acted on before this step).
      const upheld = s.phase === 'captured' && (s.truth === 'REVERSED' || s.truth === 'FAILED');
      return { actions: [{ a: 'dispute' }], next: upheld ? at('refunded') : same, settleAfter: false };
    }
    case 'resolve': {
      if (!open) return { actions: [{ a: 'resolve', outcome: step.outcome }], next: same, settleAfter: false };
      const status: ProviderStatus = step.outcome === 'success' ? 'SUCCESS' : 'FAILED';
      // Support resolves as the provider confirmed to it: its status check says the same afterwards.
      return {
        actions: [
          { a: 'resolve', outcome: step.outcome },
          { a: 'truth', status },
        ],
        next: at(step.outcome === 'success' ? 'captured' : 'released', status),
        settleAfter: false,
      };
    }
    case 'awaitReview':
      return { actions: open ? [{ a: 'awaitReview' }] : [], next: same, settleAfter: false };
    case 'spend':
      return { actions: [{ a: 'spend', who: step.who }], next: same, settleAfter: false };
    case 'fillToCap':
      return { actions: [{ a: 'fillToCap' }], next: same, settleAfter: false };
    case 'retry':
      return { actions: [{ a: 'retry', which: step.which }], next: same, settleAfter: false };
  }
}

/** A holder callback saying `status` after the recharge was settled: only a confirmed reversal of a success counts. */
function afterStale(s: ModelState, status: ProviderStatus): ModelState {
  const confirmsReversal = s.truth === 'REVERSED' || s.truth === 'FAILED';
  if (s.phase === 'captured' && (status === 'REVERSED' || status === 'FAILED') && confirmsReversal) {
    return { ...s, phase: 'refunded' };
  }
  return { ...s };
}

/** The recharge statuses each phase may show. */
export function statusesOf(phase: Phase): string[] {
  switch (phase) {
    case 'open':
      return ['pending', 'manual_review'];
    case 'captured':
      return ['success'];
    case 'released':
      return ['failed'];
    case 'refunded':
      return ['reversed'];
    case 'undone':
      return ['failed', 'reversed'];
  }
}

// ------------------------------------------------------------------------ commissions

/** The commission plan the test assigns to every user it makes (basis points, TDS basis points). */
export const TEST_PLAN = {
  retailer: { bps: 300n, tdsBps: 500n },
  distributor: { bps: 50n, tdsBps: 1000n },
  master_distributor: { bps: 25n, tdsBps: 2000n },
} as const;

export type Level = keyof typeof TEST_PLAN;

export interface Leg {
  level: Level;
  gross: bigint;
  tds: bigint;
  net: bigint;
}

/** Commission of each level on `amount` paise, rounded down, as the contract's example (₹100 at 3% is ₹3.00). */
export function legsOf(amount: bigint): Leg[] {
  return (Object.keys(TEST_PLAN) as Level[])
    .map((level) => {
      const gross = (amount * TEST_PLAN[level].bps) / 10_000n;
      const tds = (gross * TEST_PLAN[level].tdsBps) / 10_000n;
      return { level, gross, tds, net: gross - tds };
    })
    .filter((l) => l.gross > 0n);
}

// ------------------------------------------------------------------------ generators

const gap: fc.Arbitrary<Gap> = fc.constantFrom<Gap>('settle', 'settle', 'none', 'short');
const copies = fc.constantFrom(1, 1, 2, 3);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('answer' as const),
      outcome: fc.constantFrom('success' as const, 'failed' as const),
      via: fc.constantFrom('callback' as const, 'poll' as const, 'dispute' as const),
      copies,
      gap,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('successThenReversed' as const),
      reordered: fc.boolean(),
      delayMs: fc.constantFrom(0, 30, 150),
      copies: fc.constantFrom(1, 2),
      gap,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('reverse' as const),
      via: fc.constantFrom('callback' as const, 'callback' as const, 'silent' as const),
      copies,
      gap,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('stale' as const),
      status: fc.constantFrom('FAILED' as const, 'REVERSED' as const, 'PENDING' as const),
      gap,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('wrong' as const),
      status: fc.constantFrom<ProviderStatus>('SUCCESS', 'PENDING', 'FAILED', 'REVERSED'),
      copies,
      gap,
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('dispute' as const), gap }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('resolve' as const),
      outcome: fc.constantFrom('success' as const, 'failed' as const),
      gap,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('awaitReview' as const), gap }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('spend' as const),
      who: fc.constantFrom('distributor' as const, 'master' as const),
      gap,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fillToCap' as const), gap }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('retry' as const),
      which: fc.constantFrom('recharge' as const, 'reversal' as const),
      gap,
    }),
  },
);

export const startArb: fc.Arbitrary<Start> = fc.oneof(
  { weight: 7, arbitrary: fc.constant<Start>({ kind: 'success', holder: 'alpha' }) },
  { weight: 2, arbitrary: fc.constant<Start>({ kind: 'success', holder: 'beta' }) },
  { weight: 6, arbitrary: fc.constant<Start>({ kind: 'pending' }) },
  { weight: 1, arbitrary: fc.constant<Start>({ kind: 'failed' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('timeout' as const),
      truth: fc.constantFrom('SUCCESS' as const, 'PENDING' as const, 'FAILED' as const),
    }),
  },
);

// Amounts are not shrunk: each shrink costs a run of the stack, and ₹239 reads as well as ₹10.
export const rechargeArb: fc.Arbitrary<RechargeScenario> = fc.record({
  rupees: fc.noShrink(fc.integer({ min: 10, max: 500 })),
  atCap: fc.boolean(),
  extraRupees: fc.noShrink(fc.integer({ min: 0, max: 400 })),
  start: startArb,
  steps: fc.array(stepArb, { minLength: 0, maxLength: 6 }),
});

export const runArb: fc.Arbitrary<RunScenario> = fc.record({
  recharges: fc.array(rechargeArb, { minLength: 1, maxLength: 3 }),
});

// ------------------------------------------------------------------------ reduction

/**
 * Simpler variants of a failing scenario, most reducing first: without one recharge, without one
 * step (the last first), not at the cap, one copy of each callback, waits for the system between
 * steps.
 * Counterexamples are reduced with these rather than by fast-check's shrinking, which knows
 * nothing of the structure (independent recharges, steps) and spends a stack run per try.
 */
export function simplifications(run: RunScenario): RunScenario[] {
  const out: RunScenario[] = [];
  const withRecharge = (i: number, r: RechargeScenario): RunScenario => ({
    recharges: run.recharges.map((x, j) => (j === i ? r : x)),
  });
  if (run.recharges.length > 1) {
    run.recharges.forEach((_, i) => out.push({ recharges: run.recharges.filter((_, j) => j !== i) }));
  }
  run.recharges.forEach((r, i) => {
    for (let k = r.steps.length - 1; k >= 0; k--) {
      out.push(withRecharge(i, { ...r, steps: r.steps.filter((_, j) => j !== k) }));
    }
    if (r.atCap) out.push(withRecharge(i, { ...r, atCap: false }));
    r.steps.forEach((step, k) => {
      const plainer: Step[] = [];
      if ('copies' in step && step.copies > 1) plainer.push({ ...step, copies: 1 });
      if (step.gap !== 'settle') plainer.push({ ...step, gap: 'settle' });
      for (const p of plainer) out.push(withRecharge(i, { ...r, steps: r.steps.map((x, j) => (j === k ? p : x)) }));
    });
  });
  return out;
}

// ------------------------------------------------------------------------ description

const rupees = (paise: bigint) => `₹${paise / 100n}${paise % 100n ? `.${String(paise % 100n).padStart(2, '0')}` : ''}`;
export { rupees as formatRupees };

export function describeStart(s: Start): string {
  switch (s.kind) {
    case 'success':
      return s.holder === 'alpha' ? 'alpha answers SUCCESS' : 'alpha down (503), beta answers SUCCESS';
    case 'failed':
      return 'alpha answers FAILED (invalid number)';
    case 'pending':
      return 'alpha answers PENDING, no callback';
    case 'timeout':
      return `alpha times out; its status check says ${s.truth}`;
  }
}

export function describeStep(step: Step): string {
  const x = (n: number) => (n > 1 ? ` ×${n}` : '');
  const then = step.gap === 'settle' ? '' : step.gap === 'none' ? ', no wait' : ', 60 ms';
  switch (step.t) {
    case 'answer':
      return `provider answers ${step.outcome.toUpperCase()} by ${step.via}${step.via === 'callback' ? x(step.copies) : ''}${then}`;
    case 'successThenReversed':
      return `provider: SUCCESS then REVERSED ${step.delayMs} ms later, by callback${x(step.copies)}${step.reordered ? ', delivered reversal first' : ''}${then}`;
    case 'reverse':
      return step.via === 'silent'
        ? `provider reverses it, callback lost${then}`
        : `provider reverses it by callback${x(step.copies)}${then}`;
    case 'stale':
      return `holder sends ${step.status} its status check contradicts${then}`;
    case 'wrong':
      return `the other provider sends ${step.status}${x(step.copies)}${then}`;
    case 'dispute':
      return `retailer disputes${then}`;
    case 'resolve':
      return `support resolves ${step.outcome}${then}`;
    case 'awaitReview':
      return `wait for manual review${then}`;
    case 'spend':
      return `${step.who} spends everything it has${then}`;
    case 'fillToCap':
      return `distributor credits the retailer up to its KYC cap${then}`;
    case 'retry':
      return `ops retries the ${step.which} workflow${then}`;
  }
}

// ------------------------------------------------------------------------ known cases

const reverseByCallback: Step = { t: 'reverse', via: 'callback', copies: 1, gap: 'settle' };
const successAtAlpha: Start = { kind: 'success', holder: 'alpha' };

/** The defects issue 10 names, one recharge each, played on every run of the test. */
export const ISSUE_10_CASES: RunScenario = {
  recharges: [
    // A signed callback from the provider that does not hold the recharge reversed and refunded it.
    {
      rupees: 100,
      atCap: false,
      extraRupees: 0,
      start: successAtAlpha,
      steps: [{ t: 'wrong', status: 'REVERSED', copies: 1, gap: 'settle' }],
    },
    // A dispute not upheld (the provider still says success), then its genuine reversal: nothing happened.
    {
      rupees: 100,
      atCap: false,
      extraRupees: 0,
      start: successAtAlpha,
      steps: [{ t: 'dispute', gap: 'settle' }, reverseByCallback],
    },
    // An upline had spent its commission: the whole reversal was blocked.
    {
      rupees: 100,
      atCap: false,
      extraRupees: 0,
      start: successAtAlpha,
      steps: [{ t: 'spend', who: 'distributor', gap: 'settle' }, reverseByCallback],
    },
    // The same with the retailer at its KYC cap: the refund was refused as a load above the cap.
    { rupees: 100, atCap: true, extraRupees: 0, start: successAtAlpha, steps: [reverseByCallback] },
    // A reversal that arrived while the success was being settled was dropped.
    {
      rupees: 100,
      atCap: false,
      extraRupees: 0,
      start: { kind: 'pending' },
      steps: [{ t: 'successThenReversed', reordered: false, delayMs: 0, copies: 1, gap: 'settle' }],
    },
  ],
};
