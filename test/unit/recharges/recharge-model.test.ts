import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ISSUE_10_CASES,
  initialState,
  legsOf,
  plan,
  simplifications,
  type ModelState,
  type Phase,
  type Start,
  type Step,
} from '../../support/recharge-model';

// The pure model behind test/e2e/recharge-model.test.ts: what the money semantics say a scenario
// must end as. The e2e test trusts these answers, so the cases that matter are pinned here.

function phaseAfter(start: Start, steps: Step[], pollsCertain = true): ModelState {
  let s = initialState(start);
  for (const step of steps) s = plan(s, step, { pollsCertain }).next;
  return s;
}

const success: Start = { kind: 'success', holder: 'alpha' };
const pending: Start = { kind: 'pending' };
const reverse: Step = { t: 'reverse', via: 'callback', copies: 1, gap: 'settle' };

describe('recharge model', () => {
  const cases: Array<[string, Start, Step[], Phase]> = [
    [
      'a callback from the provider that does not hold it changes nothing',
      success,
      [{ t: 'wrong', status: 'REVERSED', copies: 1, gap: 'settle' }],
      'captured',
    ],
    [
      'a dispute the provider does not uphold, then its genuine reversal: refunded',
      success,
      [{ t: 'dispute', gap: 'none' }, reverse],
      'refunded',
    ],
    [
      'an upline spent its commission, then the reversal: refunded all the same',
      success,
      [{ t: 'spend', who: 'distributor', gap: 'settle' }, reverse],
      'refunded',
    ],
    [
      'success then reversed while the success is settled: undone',
      pending,
      [{ t: 'successThenReversed', reordered: false, delayMs: 0, copies: 1, gap: 'settle' }],
      'undone',
    ],
    [
      'a stale reversal the status check contradicts changes nothing',
      success,
      [{ t: 'stale', status: 'REVERSED', gap: 'settle' }],
      'captured',
    ],
    [
      'a lost reversal callback, then a dispute: refunded',
      success,
      [
        { t: 'reverse', via: 'silent', copies: 1, gap: 'settle' },
        { t: 'dispute', gap: 'settle' },
      ],
      'refunded',
    ],
    [
      'a late success after a failure changes nothing',
      pending,
      [
        { t: 'answer', outcome: 'failed', via: 'callback', copies: 1, gap: 'settle' },
        { t: 'answer', outcome: 'success', via: 'callback', copies: 2, gap: 'settle' },
      ],
      'released',
    ],
    [
      'a reversal of a recharge never captured refunds nothing',
      { kind: 'failed' },
      [reverse, { t: 'dispute', gap: 'settle' }],
      'released',
    ],
    [
      'support resolves a pending recharge',
      pending,
      [
        { t: 'resolve', outcome: 'success', gap: 'settle' },
        { t: 'resolve', outcome: 'failed', gap: 'settle' },
      ],
      'captured',
    ],
    ['a second reversal refunds once', success, [reverse, reverse, { t: 'dispute', gap: 'settle' }], 'refunded'],
  ];
  for (const [name, start, steps, phase] of cases) {
    test(name, () => assert.equal(phaseAfter(start, steps).phase, phase));
  }

  test("issue 10's cases end refunded, except the wrong provider's callback (changes nothing) and the race (undone)", () => {
    assert.deepEqual(
      ISSUE_10_CASES.recharges.map((r) => phaseAfter(r.start, r.steps).phase),
      ['captured', 'refunded', 'refunded', 'refunded', 'undone'],
    );
  });

  test('a change nobody is told about is sent by callback once polls may have stopped', () => {
    const p = plan(
      initialState(pending),
      { t: 'answer', outcome: 'success', via: 'poll', copies: 1, gap: 'settle' },
      { pollsCertain: false },
    );
    assert.deepEqual(p.actions, [
      { a: 'truth', status: 'SUCCESS' },
      { a: 'callback', from: 'holder', status: 'SUCCESS', copies: 1 },
    ]);
    assert.equal(p.next.phase, 'captured');
  });

  test('a counterexample is simplified a step at a time, the last step first', () => {
    const steps: Step[] = [
      { t: 'dispute', gap: 'none' },
      { t: 'reverse', via: 'callback', copies: 2, gap: 'settle' },
    ];
    const run = { recharges: [{ rupees: 10, atCap: true, extraRupees: 0, start: success, steps }] };
    const candidates = simplifications(run).map((c) => c.recharges[0]!);
    assert.deepEqual(candidates[0]!.steps, [steps[0]]);
    assert.deepEqual(candidates[1]!.steps, [steps[1]]);
    assert.equal(candidates[2]!.atCap, false);
    assert.equal(candidates.length, 5);
    assert.deepEqual(
      candidates.slice(3).map((c) => c.steps),
      [
        [{ t: 'dispute', gap: 'settle' }, steps[1]],
        [steps[0], { t: 'reverse', via: 'callback', copies: 1, gap: 'settle' }],
      ],
    );
  });

  test('recharges that do not fail are dropped first', () => {
    const one = { rupees: 10, atCap: false, extraRupees: 0, start: success, steps: [] };
    const two = { ...one, rupees: 20 };
    assert.deepEqual(simplifications({ recharges: [one, two] }), [{ recharges: [two] }, { recharges: [one] }]);
  });

  test('commissions are whole paise rounded down, TDS withheld from each', () => {
    assert.deepEqual(legsOf(10_000n), [
      { level: 'retailer', gross: 300n, tds: 15n, net: 285n },
      { level: 'distributor', gross: 50n, tds: 5n, net: 45n },
      { level: 'master_distributor', gross: 25n, tds: 5n, net: 20n },
    ]);
    assert.deepEqual(
      legsOf(1_000n).map((l) => l.gross),
      [30n, 5n, 2n],
    );
  });
});
