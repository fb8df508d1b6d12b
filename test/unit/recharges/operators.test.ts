import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAgainstOperator, type OperatorConfig } from '../../../src/recharges/operators';
import { rechargeId, rechargeWorkflowId } from '../../../src/recharges/types';

const jio: OperatorConfig = {
  code: 'JIO',
  name: 'Jio',
  kind: 'prepaid',
  minAmount: 1_000n,
  maxAmount: 1_000_000n,
  amountStep: 100n,
  planAmounts: null,
  enabled: true,
};

test('prepaid: whole rupees from ₹10 to ₹10,000, a 10-digit number starting 6-9', () => {
  assert.deepEqual(checkAgainstOperator(jio, { subscriber: '9876543210', amount: 1_000n }), { ok: true });
  assert.deepEqual(checkAgainstOperator(jio, { subscriber: '9876543210', amount: 1_000_000n }), { ok: true });
  for (const amount of [900n, 1_000_100n, 1_050n]) {
    const r = checkAgainstOperator(jio, { subscriber: '9876543210', amount });
    assert.equal(r.ok ? 'ok' : r.code, 'INVALID_AMOUNT', String(amount));
  }
  for (const subscriber of ['5876543210', '987654321', '98765432101', '98765x3210']) {
    const r = checkAgainstOperator(jio, { subscriber, amount: 1_000n });
    assert.equal(r.ok ? 'ok' : r.code, 'VALIDATION_FAILED', subscriber);
  }
});

test('unknown or disabled operators, and plan-only operators', () => {
  const unknown = checkAgainstOperator(undefined, { subscriber: '9876543210', amount: 1_000n });
  assert.equal(unknown.ok ? 'ok' : unknown.code, 'UNKNOWN_OPERATOR');
  const off = checkAgainstOperator({ ...jio, enabled: false }, { subscriber: '9876543210', amount: 1_000n });
  assert.equal(off.ok ? 'ok' : off.code, 'UNKNOWN_OPERATOR');
  const plans = { ...jio, planAmounts: [19_900n, 29_900n] };
  assert.deepEqual(checkAgainstOperator(plans, { subscriber: '9876543210', amount: 19_900n }), { ok: true });
  const notAPlan = checkAgainstOperator(plans, { subscriber: '9876543210', amount: 20_000n });
  assert.equal(notAPlan.ok ? 'ok' : notAPlan.code, 'INVALID_AMOUNT');
});

test('ids: the same caller and key name the same recharge and workflow; another key does not', () => {
  assert.equal(rechargeId('usr_a', 'k1'), rechargeId('usr_a', 'k1'));
  assert.notEqual(rechargeId('usr_a', 'k1'), rechargeId('usr_a', 'k2'));
  assert.notEqual(rechargeId('usr_a', 'k1'), rechargeId('usr_b', 'k1'));
  assert.match(rechargeId('usr_a', 'k1'), /^rch_[0-9a-f]{26}$/);
  assert.equal(rechargeWorkflowId('usr_a', 'k1'), 'recharge-usr_a-k1');
});
