import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alerting,
  applicableRules,
  breach,
  ruleOfRefusal,
  verdictOf,
  type Movement,
  type RiskRule,
} from '../../../src/risk/rules';

const rule = (over: Partial<RiskRule> & Pick<RiskRule, 'id' | 'kind'>): RiskRule => ({
  enabled: true,
  threshold: 0n,
  windowSeconds: null,
  action: 'flag',
  role: null,
  userId: null,
  band: null,
  description: '',
  updatedAt: new Date(0),
  ...over,
});

const recharge: Movement = {
  kind: 'recharge',
  subjectId: 'rch_1',
  userId: 'usr_a',
  role: 'retailer',
  amount: 10_000n,
  subscriber: '9812345678',
};

describe('applicableRules', () => {
  test('kind, role, band and enabled decide; a user rule replaces its role rule of the kind', () => {
    const rules = [
      rule({ id: 'max_r', kind: 'max_single_amount', role: 'retailer', threshold: 1n }),
      rule({ id: 'max_d', kind: 'max_single_amount', role: 'distributor' }),
      rule({ id: 'vel', kind: 'retailer_velocity', windowSeconds: 60 }),
      rule({ id: 'off', kind: 'first_use', enabled: false }),
      rule({ id: 'band_in', kind: 'amount_band', band: { minPaise: 10_000n, maxPaise: 10_000n } }),
      rule({ id: 'band_out', kind: 'amount_band', band: { minPaise: 10_001n, maxPaise: 20_000n } }),
    ];
    assert.deepEqual(
      applicableRules(rules, recharge).map((r) => r.id),
      ['max_r', 'vel', 'band_in'],
    );
    const own = rule({ id: 'max_single_amount__usr_a', kind: 'max_single_amount', userId: 'usr_a', enabled: false });
    assert.deepEqual(
      applicableRules([...rules, own], recharge).map((r) => r.id),
      ['vel', 'band_in'],
      "a disabled user rule exempts the user from its role's",
    );
    assert.deepEqual(
      applicableRules([...rules, own], { ...recharge, userId: 'usr_b' }).map((r) => r.id),
      ['max_r', 'vel', 'band_in'],
      'and nobody else',
    );
    const pull: Movement = { kind: 'pull_back', subjectId: 'x', userId: 'usr_a', role: 'retailer', amount: 5n };
    assert.deepEqual(
      applicableRules(rules, pull).map((r) => r.id),
      ['max_r'],
      'velocity rules are for recharges',
    );
  });
});

describe('breach: at the threshold allowed, past it fired', () => {
  test('amounts and counts', () => {
    const max = rule({ id: 'm', kind: 'max_single_amount', threshold: 10_000n });
    assert.equal(breach(max, recharge, { kind: 'none' }), null);
    assert.match(breach(max, { ...recharge, amount: 10_001n }, { kind: 'none' })!, /above the maximum/);
    const vel = rule({ id: 'v', kind: 'retailer_velocity', threshold: 3n, windowSeconds: 60 });
    assert.equal(breach(vel, recharge, { kind: 'count', n: 2 }), null, 'the third within the window is allowed');
    assert.match(breach(vel, recharge, { kind: 'count', n: 3 })!, /^4 recharges/);
    const failed = rule({ id: 'f', kind: 'failed_recharges', threshold: 3n, windowSeconds: 60 });
    assert.equal(breach(failed, recharge, { kind: 'count', n: 2 }), null);
    assert.ok(breach(failed, recharge, { kind: 'count', n: 3 }));
    const daily = rule({ id: 'd', kind: 'daily_spend', threshold: 50_000n });
    assert.equal(breach(daily, recharge, { kind: 'sum', paise: 40_000n }), null);
    assert.ok(breach(daily, recharge, { kind: 'sum', paise: 40_001n }));
    const first = rule({ id: 'u', kind: 'first_use', threshold: 9_999n });
    assert.ok(breach(first, recharge, { kind: 'first', first: true }));
    assert.equal(breach(first, recharge, { kind: 'first', first: false }), null);
  });

  test('dormant: idle for the whole window and a large enough amount; a wallet never used is not dormant', () => {
    const dormant = rule({ id: 'z', kind: 'dormant_account', threshold: 10_000n, windowSeconds: 90 * 86_400 });
    assert.match(breach(dormant, recharge, { kind: 'idle', idleSeconds: 90 * 86_400 })!, /unused for 90 days/);
    assert.equal(breach(dormant, recharge, { kind: 'idle', idleSeconds: 90 * 86_400 - 1 }), null);
    assert.equal(breach(dormant, { ...recharge, amount: 9_999n }, { kind: 'idle', idleSeconds: 1e9 }), null);
    assert.equal(breach(dormant, recharge, { kind: 'idle', idleSeconds: null }), null);
  });
});

describe('verdictOf', () => {
  const hit = (id: string, action: RiskRule['action']) => ({
    rule: rule({ id, kind: 'max_single_amount', action }),
    detail: 'd',
  });
  test('block beats review beats flag; the first rule by id names it; a block alerts nothing', () => {
    const v = verdictOf(recharge, [hit('z_flag', 'flag'), hit('b_block', 'block'), hit('a_review', 'review')]);
    assert.equal(v.action, 'block');
    assert.equal(v.action === 'block' && v.rule, 'b_block');
    assert.deepEqual(alerting(v), []);
    const r = verdictOf(recharge, [hit('z_flag', 'flag'), hit('c_review', 'review'), hit('a_review', 'review')]);
    assert.equal(r.action === 'review' && r.message, 'risk rule a_review: d');
    assert.deepEqual(
      alerting(r).map((h) => h.rule.id),
      ['a_review', 'c_review', 'z_flag'],
    );
    assert.equal(ruleOfRefusal(r.action === 'review' ? r.message : null), 'a_review');
  });
  test('outside recharges a review is allowed and alerted', () => {
    const v = verdictOf({ ...recharge, kind: 'transfer' }, [hit('a_review', 'review')]);
    assert.equal(v.action, 'allow');
    assert.equal(alerting(v).length, 1);
  });
});
