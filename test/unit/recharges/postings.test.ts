import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SinglePhaseTransferInput, Transfer } from '../../../src/ledger';
import { duesAccountId, providerSettlementAccount, systemAccounts, walletAccountId } from '../../../src/ledger';
import { RECHARGE_CLEARING_ACCOUNT } from '../../../src/recharges/accounts';
import { rechargeCapture, rechargeRefund } from '../../../src/recharges/postings';

const legs = [
  { userId: 'r', role: 'retailer' as const, gross: 300n, tds: 6n, net: 294n },
  { userId: 'd', role: 'distributor' as const, gross: 50n, tds: 1n, net: 49n },
];

/** The transfers the ledger would hold after posting `inputs` (posted ones only, as a refund reads them). */
function asPosted(inputs: ReturnType<typeof rechargeCapture>, amount: bigint): Transfer[] {
  return inputs.map((t) => {
    const isPost = 'post' in t;
    const p = t as SinglePhaseTransferInput;
    return {
      id: t.id,
      type: isPost ? 'post_pending' : 'single_phase',
      debitAccountId: isPost ? walletAccountId('r') : p.debitAccountId,
      creditAccountId: isPost ? RECHARGE_CLEARING_ACCOUNT : p.creditAccountId,
      amount: isPost ? amount : p.amount,
      kind: t.kind!,
      reference: t.reference ?? null,
      metadata: {},
      pendingId: isPost ? 'rch_1:hold' : null,
      reversalOf: null,
      exemptFromCap: false,
      balancingDebit: false,
      balancingCredit: false,
      requestedAmount: null,
      timeoutSeconds: null,
      expiresAt: null,
      createdAt: new Date(0),
    };
  });
}

test('capture: hold posted, provider paid, each level its net commission and TDS withheld', () => {
  const batch = rechargeCapture({ rechargeId: 'rch_1', amount: 10_000n, provider: 'alpha', legs });
  assert.deepEqual(
    batch.map((t) => [t.id, (t as SinglePhaseTransferInput).amount]),
    [
      ['rch_1:capture', undefined],
      ['rch_1:settle', 10_000n],
      ['rch_1:commission:r', 294n],
      ['rch_1:tds:r', 6n],
      ['rch_1:commission:d', 49n],
      ['rch_1:tds:d', 1n],
    ],
  );
  const withheld = rechargeCapture({
    rechargeId: 'rch_1',
    amount: 10_000n,
    provider: 'alpha',
    legs,
    withheld: new Set(['d']),
  });
  assert.ok(!withheld.some((t) => t.id.endsWith(':d')), 'a withheld level gets no commission and no TDS leg');
});

test('refund: one batch that needs nobody else’s balance, the refund exempt from caps', () => {
  const posted = asPosted(rechargeCapture({ rechargeId: 'rch_1', amount: 10_000n, provider: 'alpha', legs }), 10_000n);
  const plan = rechargeRefund('rch_1', posted);
  const touched = new Set(plan.refund.flatMap((t) => [t.debitAccountId, t.creditAccountId]));
  assert.deepEqual(
    [...touched].sort(),
    [
      RECHARGE_CLEARING_ACCOUNT,
      providerSettlementAccount('alpha'),
      systemAccounts.commissionExpense,
      systemAccounts.tdsPayable,
      walletAccountId('r'),
    ].sort(),
  );
  const refund = plan.refund.find((t) => t.creditAccountId === walletAccountId('r'))!;
  assert.equal(refund.amount, 10_000n);
  assert.equal(refund.exemptFromCap, true);
  assert.equal(refund.reversalOf, 'rch_1:capture');
  assert.ok(
    plan.refund.every((t) => t.debitAccountId !== walletAccountId('d') && !t.balancingDebit),
    'no upline wallet is debited in the refund batch',
  );
});

test('refund: each commission becomes a due of its earner, collected from its wallet as far as it goes', () => {
  const posted = asPosted(rechargeCapture({ rechargeId: 'rch_1', amount: 10_000n, provider: 'alpha', legs }), 10_000n);
  const plan = rechargeRefund('rch_1', posted);
  assert.deepEqual(
    plan.clawbacks.map((c) => c.debtor),
    ['r', 'd'],
  );
  const [due, collect] = plan.clawbacks[1]!.transfers;
  assert.deepEqual(
    [due!.debitAccountId, due!.creditAccountId, due!.amount],
    [duesAccountId('d'), systemAccounts.commissionExpense, 49n],
  );
  assert.deepEqual(
    [
      collect!.debitAccountId,
      collect!.creditAccountId,
      collect!.amount,
      collect!.balancingDebit,
      collect!.balancingCredit,
    ],
    [walletAccountId('d'), duesAccountId('d'), 49n, true, true],
  );
});

test('refund: planned again after a partial run, the same transfer ids (the ledger finds them there)', () => {
  const posted = asPosted(rechargeCapture({ rechargeId: 'rch_1', amount: 10_000n, provider: 'alpha', legs }), 10_000n);
  const first = rechargeRefund('rch_1', posted);
  const reversals = first.refund.map((t) => ({
    ...asPosted([t], t.amount)[0]!,
    kind: t.kind,
    reversalOf: t.reversalOf!,
  }));
  const again = rechargeRefund('rch_1', [...posted, ...reversals]);
  assert.deepEqual(
    again.refund.map((t) => t.id),
    first.refund.map((t) => t.id),
  );
});

test('refund of a recharge never captured is refused', () => {
  assert.throws(() => rechargeRefund('rch_2', []), /never captured/);
});
