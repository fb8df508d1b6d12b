import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTdsSettings, financialYearOf, tdsOnCommission } from '../../../src/catalog/tds';
import { commissionLegs, type CommissionRule } from '../../../src/recharges/commission';

const s = defaultTdsSettings;
const withPan = (fyGrossBefore: bigint) => ({ fyGrossBefore, panVerified: true });
const noPan = (fyGrossBefore: bigint) => ({ fyGrossBefore, panVerified: false });

test('defaults: 2 % above ₹20,000 a financial year, 20 % without a verified PAN', () => {
  assert.deepEqual(s, { rateBps: 200, noPanRateBps: 2000, thresholdPaise: 2_000_000n });
});

test('nothing is withheld while the year stays within the threshold, up to and including it', () => {
  assert.equal(tdsOnCommission(300n, withPan(0n), s), 0n);
  assert.equal(
    tdsOnCommission(300n, noPan(0n), s),
    0n,
    'no PAN below the threshold: still nothing (206AA needs TDS due)',
  );
  assert.equal(tdsOnCommission(10_000n, withPan(1_990_000n), s), 0n, 'lands exactly on ₹20,000');
});

test('a commission crossing the threshold is taxed on the part above it only', () => {
  // ₹19,999 earned, ₹3 more: ₹2 above the threshold, 2 % of 200 paise = 4 paise.
  assert.equal(tdsOnCommission(300n, withPan(1_999_900n), s), 4n);
  assert.equal(tdsOnCommission(300n, noPan(1_999_900n), s), 40n);
  // One paisa above: 2 % of 1 paisa rounds down to nothing; 20 % too.
  assert.equal(tdsOnCommission(300n, withPan(1_999_701n), s), 0n);
});

test('above the threshold every paisa is taxed, rounded down', () => {
  assert.equal(tdsOnCommission(300n, withPan(2_000_000n), s), 6n);
  assert.equal(tdsOnCommission(300n, noPan(5_000_000n), s), 60n);
  assert.equal(tdsOnCommission(349n, withPan(2_000_000n), s), 6n, '6.98 paise rounds down');
});

test('configurable: another rate, no-PAN rate and threshold', () => {
  const other = { rateBps: 500, noPanRateBps: 100, thresholdPaise: 0n };
  assert.equal(tdsOnCommission(1_000n, withPan(0n), other), 50n);
  assert.equal(tdsOnCommission(1_000n, noPan(0n), other), 50n, 'no PAN never withholds less than the rate');
});

test('the financial year runs from 1 April 00:00 IST (31 March 18:30 UTC)', () => {
  const before = financialYearOf(new Date('2027-03-31T18:29:59.999Z'));
  const after = financialYearOf(new Date('2027-03-31T18:30:00.000Z'));
  assert.equal(before.label, '2026-27');
  assert.equal(after.label, '2027-28');
  assert.equal(after.start.toISOString(), '2027-03-31T18:30:00.000Z');
  assert.equal(before.end.toISOString(), '2027-03-31T18:30:00.000Z');
  assert.equal(before.start.toISOString(), '2026-03-31T18:30:00.000Z');
  // 1 April 03:00 IST is still 31 March in UTC, but the new year.
  assert.equal(financialYearOf(new Date('2026-03-31T21:30:00Z')).label, '2026-27');
  assert.equal(financialYearOf(new Date('2026-11-26T00:00:00Z')).label, '2026-27');
  assert.equal(financialYearOf(new Date('2100-01-15T00:00:00Z')).label, '2099-00');
});

const rules: CommissionRule[] = [
  { role: 'retailer', operator: null, kind: null, mode: 'percent', value: 300n, tdsBps: 0 },
  { role: 'distributor', operator: null, kind: null, mode: 'percent', value: 50n, tdsBps: 500 },
];
const chain = [
  { userId: 'r', role: 'retailer', rules },
  { userId: 'd', role: 'distributor', rules },
];

test('commission legs: each payee by its own year and PAN; a rule with its own rate keeps it', () => {
  const payees = new Map([
    ['r', noPan(2_500_000n)],
    ['d', withPan(0n)],
  ]);
  assert.deepEqual(commissionLegs(chain, 'JIO', 'prepaid', 10_000n, { settings: s, payees }), [
    { userId: 'r', role: 'retailer', gross: 300n, tds: 60n, net: 240n },
    { userId: 'd', role: 'distributor', gross: 50n, tds: 2n, net: 48n },
  ]);
});

test('commission legs: a payee with no known year counts as fresh and without PAN', () => {
  const legs = commissionLegs(chain, 'JIO', 'prepaid', 10_000n, { settings: s, payees: new Map() });
  assert.equal(legs[0]!.tds, 0n);
  const strict = { ...s, thresholdPaise: 0n };
  assert.equal(commissionLegs(chain, 'JIO', 'prepaid', 10_000n, { settings: strict, payees: new Map() })[0]!.tds, 60n);
});
