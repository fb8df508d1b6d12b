import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commissionLegs, pickRule, type CommissionRule } from '../../../src/recharges/commission';
import { defaultTdsSettings } from '../../../src/catalog/tds';

/** Payees far below the 194H threshold: only a rule's own TDS rate withholds anything. */
const belowThreshold = { settings: defaultTdsSettings, payees: new Map() };
const legsOf = (...args: Parameters<typeof commissionLegs> extends [...infer A, unknown] ? A : never) =>
  commissionLegs(...args, belowThreshold);

const defaults: CommissionRule[] = [
  { role: 'retailer', operator: null, kind: 'prepaid', mode: 'percent', value: 300n, tdsBps: 0 },
  { role: 'retailer', operator: null, kind: 'dth', mode: 'percent', value: 350n, tdsBps: 0 },
  { role: 'distributor', operator: null, kind: null, mode: 'percent', value: 50n, tdsBps: 0 },
  { role: 'master_distributor', operator: null, kind: null, mode: 'percent', value: 25n, tdsBps: 0 },
];

const chain = [
  { userId: 'r', role: 'retailer', rules: defaults },
  { userId: 'd', role: 'distributor', rules: defaults },
  { userId: 'm', role: 'master_distributor', rules: defaults },
  { userId: 'a', role: 'admin', rules: defaults },
];

test('₹100 prepaid: retailer ₹3.00, distributor ₹0.50, master distributor ₹0.25, admin nothing', () => {
  assert.deepEqual(legsOf(chain, 'JIO', 'prepaid', 10_000n), [
    { userId: 'r', role: 'retailer', gross: 300n, tds: 0n, net: 300n },
    { userId: 'd', role: 'distributor', gross: 50n, tds: 0n, net: 50n },
    { userId: 'm', role: 'master_distributor', gross: 25n, tds: 0n, net: 25n },
  ]);
});

test('DTH pays the retailer 3.5%', () => {
  assert.equal(legsOf(chain, 'TATAPLAY', 'dth', 20_000n)[0]!.gross, 700n);
});

test('fractions of a paisa round down, never up', () => {
  // ₹10.99 at 3% is 32.97 paise
  assert.equal(legsOf(chain, 'JIO', 'prepaid', 1_099n)[0]!.gross, 32n);
  // 0.25% of ₹1 is a quarter paisa: no leg at all
  assert.deepEqual(
    legsOf(chain, 'JIO', 'prepaid', 100n).map((l) => l.role),
    ['retailer'],
  );
});

test('TDS is withheld from the commission and the rest is credited', () => {
  const withTds = defaults.map((r) => (r.role === 'retailer' ? { ...r, tdsBps: 200 } : r));
  const [leg] = legsOf([{ userId: 'r', role: 'retailer', rules: withTds }], 'JIO', 'prepaid', 10_000n);
  assert.deepEqual(leg, { userId: 'r', role: 'retailer', gross: 300n, tds: 6n, net: 294n });
});

test('an operator rule beats a kind rule, which beats a catch-all; flat amounts are paise', () => {
  const rules: CommissionRule[] = [
    ...defaults,
    { role: 'retailer', operator: 'AIRTEL', kind: null, mode: 'flat', value: 150n, tdsBps: 0 },
  ];
  assert.equal(pickRule(rules, 'retailer', 'AIRTEL', 'prepaid')?.mode, 'flat');
  assert.equal(pickRule(rules, 'retailer', 'JIO', 'prepaid')?.value, 300n);
  assert.equal(pickRule(rules, 'distributor', 'JIO', 'prepaid')?.value, 50n);
  assert.equal(legsOf([{ userId: 'r', role: 'retailer', rules }], 'AIRTEL', 'prepaid', 50_000n)[0]!.gross, 150n);
});

test('a level without a rule earns nothing', () => {
  assert.deepEqual(legsOf([{ userId: 'd', role: 'distributor', rules: [] }], 'JIO', 'prepaid', 10_000n), []);
});
