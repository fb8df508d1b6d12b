import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, expectWallet, fundedRetailer } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

type Operator = {
  code: string;
  kind: string;
  minAmount: number;
  maxAmount: number;
  planOnly: boolean;
  enabled: boolean;
};
type Plan = { id: string; operator: string; circle: string | null; amount: number; active: boolean };
type Recharge = { id: string; operator: string; circle: string | null; status: string; provider: string | null };
type ErrorBody = { error: { code: string; message: string } };

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  // Whatever a failed test left behind, the seeded operator rules are as they were.
  await db('operators').where({ code: 'BSNL' }).update({ plan_only: false, enabled: true });
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

const recharge = (api: ApiClient, body: Record<string, unknown>, key: string = randomUUID()) =>
  api.call<Recharge & ErrorBody>('POST', '/v1/recharges?waitMs=15000', body, { 'Idempotency-Key': key });

describe('operators', () => {
  test('every operator with its amount rules, as seeded', async () => {
    const r = await admin.get<{ items: Operator[] }>('/v1/operators');
    assert.equal(r.status, 200);
    const byCode = new Map(r.body.items.map((o) => [o.code, o]));
    for (const code of ['JIO', 'AIRTEL', 'VI', 'BSNL', 'TATAPLAY', 'AIRTELDTH', 'DISHTV', 'D2H', 'SUNDIRECT']) {
      assert.ok(byCode.has(code), code);
    }
    assert.deepEqual(byCode.get('JIO'), {
      code: 'JIO',
      kind: 'prepaid',
      name: 'Jio',
      enabled: true,
      minAmount: 1000,
      maxAmount: 1000000,
      amountStep: 100,
      planOnly: false,
    });
    assert.equal(byCode.get('TATAPLAY')!.minAmount, 10000);
  });

  test('the number series covers every prepaid operator', async () => {
    const rows = (await db('number_series').distinct('operator')) as Array<{ operator: string }>;
    const prepaid = (await db('operators').where({ kind: 'prepaid' }).select('code')) as Array<{ code: string }>;
    assert.deepEqual(rows.map((r) => r.operator).sort(), prepaid.map((o) => o.code).sort());
  });

  test('PUT is for admins, validated, audited', async () => {
    const n = await fundedRetailer(admin, 0);
    assert.equal((await n.dist.call('PUT', '/v1/operators/BSNL', { enabled: false })).status, 403);
    assert.equal((await admin.call('PUT', '/v1/operators/NOPE', { enabled: false })).status, 404);
    const bad = await admin.call<ErrorBody>('PUT', '/v1/operators/BSNL', { minAmount: 2_000_000 });
    assert.equal(bad.status, 400, 'min above the max');
    assert.equal((await admin.call('PUT', '/v1/operators/BSNL', {})).status, 400);
    assert.equal((await admin.call('PUT', '/v1/operators/BSNL', { minAmount: 10.5 })).status, 400);
    assert.equal((await admin.call('PUT', '/v1/operators/BSNL', { color: 'red' })).status, 400);
    const unchanged = (await admin.get<{ items: Operator[] }>('/v1/operators')).body.items.find(
      (o) => o.code === 'BSNL',
    );
    assert.equal(unchanged!.minAmount, 1000);
    assert.equal(unchanged!.enabled, true);
  });
});

describe('operator lookup', () => {
  const lookup = (subscriber: string) =>
    admin.get<{ subscriber: string; operator: string; circle: string | null; source: string }>(
      `/v1/operators/lookup?subscriber=${subscriber}`,
    );

  test('a number in a series: its operator and circle', async () => {
    const r = await lookup('9810012345');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { subscriber: '9810012345', operator: 'AIRTEL', circle: 'DL', source: 'series' });
    assert.deepEqual((await lookup('7000123456')).body, {
      subscriber: '7000123456',
      operator: 'VI',
      circle: 'MP',
      source: 'series',
    });
  });

  test('an ambiguous series or a number in none: the provider decides, and its answer is kept', async () => {
    await db('subscriber_lookups').whereIn('subscriber', ['7000012345', '6999000001']).delete();
    const r = await lookup('7000012345');
    assert.deepEqual(r.body, { subscriber: '7000012345', operator: 'AIRTEL', circle: 'MP', source: 'provider' });
    const kept = (await db('subscriber_lookups').where({ subscriber: '7000012345' }).first()) as {
      provider: string;
      expires_at: Date;
    };
    assert.equal(kept.provider, 'alpha');
    assert.ok(kept.expires_at.getTime() > Date.now() + 6 * 24 * 3600_000, 'kept for about a week');
    assert.deepEqual((await lookup('6999000001')).body, {
      subscriber: '6999000001',
      operator: 'VI',
      circle: 'MH',
      source: 'provider',
    });
  });

  test("a provider's fresh answer wins over the series (a ported number); an expired one does not", async () => {
    await db('subscriber_lookups')
      .insert({
        subscriber: '9810099999',
        operator: 'JIO',
        circle: 'DL',
        provider: 'alpha',
        expires_at: db.raw(`now() + interval '1 hour'`),
      })
      .onConflict('subscriber')
      .merge();
    assert.equal((await lookup('9810099999')).body.operator, 'JIO');
    await db('subscriber_lookups')
      .where({ subscriber: '9810099999' })
      .update({ expires_at: db.raw(`now() - interval '1 second'`) });
    assert.deepEqual((await lookup('9810099999')).body, {
      subscriber: '9810099999',
      operator: 'AIRTEL',
      circle: 'DL',
      source: 'series',
    });
  });

  test('nothing knows the number: 404; not a mobile number: 400', async () => {
    const none = await lookup('7000212345');
    assert.equal(none.status, 404, 'shared series, provider does not know it');
    assert.equal((none.body as unknown as ErrorBody).error.code, 'NOT_FOUND');
    assert.equal((await lookup('6111111111')).status, 404);
    assert.equal((await lookup('12345')).status, 400);
    assert.equal((await lookup('5810012345')).status, 400);
    assert.equal((await admin.get('/v1/operators/lookup')).status, 400);
  });

  test('a recharge without operator: the lookup decides operator and circle', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, { subscriber: '9810012345', amount: 10_000 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'success');
    assert.equal(r.body.operator, 'AIRTEL');
    assert.equal(r.body.circle, 'DL');
    await expectWallet(n, 90_300);
    const viaProvider = await recharge(n.retailer, { subscriber: '6999000001', amount: 10_000, circle: 'MH' });
    assert.equal(viaProvider.body.operator, 'VI');
  });

  test('no operator and none found, or not a mobile number: 422 UNKNOWN_OPERATOR, nothing moves', async () => {
    const n = await fundedRetailer(admin, 100_000);
    for (const subscriber of ['6111111111', '7000212345', '12345678']) {
      const r = await recharge(n.retailer, { subscriber, amount: 10_000 });
      assert.equal(r.status, 422, `${subscriber}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'UNKNOWN_OPERATOR');
    }
    await expectWallet(n, 100_000);
    const made = (await db('recharges').where({ user_id: n.retailerId }).count('* as c').first()) as { c: unknown };
    assert.equal(Number(made.c), 0);
  });
});

describe('client references', () => {
  test("GET /v1/recharges?clientRef= finds the caller's recharge started with that key, and only the caller's", async () => {
    const n = await fundedRetailer(admin, 100_000);
    const key = `retry-${randomUUID()}`;
    const r = await recharge(n.retailer, { operator: 'JIO', subscriber: '9812345678', amount: 10_000 }, key);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await recharge(n.retailer, { operator: 'JIO', subscriber: '9812345679', amount: 10_000 });

    const found = await n.retailer.get<{ items: Recharge[]; nextCursor: string | null }>(
      `/v1/recharges?clientRef=${encodeURIComponent(key)}`,
    );
    assert.equal(found.status, 200);
    assert.deepEqual(
      found.body.items.map((x) => x.id),
      [r.body.id],
    );
    assert.equal(found.body.nextCursor, null);

    // The key is the caller's: its distributor (who sees the recharge) does not find it by that key.
    const other = await n.dist.get<{ items: Recharge[] }>(`/v1/recharges?clientRef=${encodeURIComponent(key)}`);
    assert.deepEqual(other.body.items, []);
    const unknown = await n.retailer.get<{ items: Recharge[] }>(`/v1/recharges?clientRef=never-used`);
    assert.deepEqual(unknown.body.items, []);
    const filtered = await n.retailer.get<{ items: Recharge[] }>(
      `/v1/recharges?clientRef=${encodeURIComponent(key)}&status=failed`,
    );
    assert.deepEqual(filtered.body.items, [], 'other filters still apply');
    assert.equal((await n.retailer.get(`/v1/recharges?clientRef=${'x'.repeat(129)}`)).status, 400);
  });
});

describe('plans', () => {
  test("an operator's plans: every circle's, and the given circle's", async () => {
    const all = await admin.get<{ items: Plan[] }>('/v1/plans?operator=JIO');
    assert.equal(all.status, 200);
    assert.ok(all.body.items.length >= 5);
    assert.ok(all.body.items.every((p) => p.operator === 'JIO'));
    const delhi = await admin.get<{ items: Plan[] }>('/v1/plans?operator=JIO&circle=DL');
    assert.ok(delhi.body.items.every((p) => p.circle === null));
    const mumbai = await admin.get<{ items: Plan[] }>('/v1/plans?operator=JIO&circle=MU');
    assert.equal(mumbai.body.items.length, delhi.body.items.length + 1);
    assert.ok(mumbai.body.items.some((p) => p.circle === 'MU' && p.amount === 24900));
    const plan = all.body.items.find((p) => p.amount === 29900)!;
    assert.deepEqual(Object.keys(plan).sort(), [
      'active',
      'amount',
      'category',
      'circle',
      'data',
      'description',
      'id',
      'operator',
      'talktime',
      'validityDays',
    ]);
    assert.equal((await admin.get('/v1/plans?operator=jio!')).status, 400);
  });

  test('admins add, change and withdraw plans; others may not', async () => {
    const n = await fundedRetailer(admin, 0);
    const body = {
      operator: 'VI',
      circle: 'KA',
      amount: 15_500,
      validityDays: 14,
      data: '1 GB/day',
      category: 'unlimited',
      description: 'Test plan',
    };
    assert.equal((await n.dist.post('/v1/plans', body, false)).status, 403);
    assert.equal((await admin.post('/v1/plans', { ...body, operator: 'NOPE' }, false)).status, 422);
    assert.equal((await admin.post('/v1/plans', { ...body, amount: -1 }, false)).status, 400);
    const created = await admin.post<Plan>('/v1/plans', body, false);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const listed = async () => (await admin.get<{ items: Plan[] }>('/v1/plans?operator=VI&circle=KA')).body.items;
    assert.ok((await listed()).some((p) => p.id === created.body.id));
    const changed = await admin.call<Plan>('PUT', `/v1/plans/${created.body.id}`, { amount: 15_600 });
    assert.equal(changed.body.amount, 15_600);
    assert.equal((await n.dist.call('PUT', `/v1/plans/${created.body.id}`, { active: false })).status, 403);
    await admin.call('PUT', `/v1/plans/${created.body.id}`, { active: false });
    assert.ok(!(await listed()).some((p) => p.id === created.body.id));
    assert.equal((await admin.call('PUT', '/v1/plans/plan_missing', { active: false })).status, 404);
    const audited = (await db('audit_events')
      .where({ subject_id: created.body.id })
      .orderBy('seq')
      .select('type')) as Array<{
      type: string;
    }>;
    assert.deepEqual(
      audited.map((a) => a.type),
      ['config.plan_created', 'config.plan_updated', 'config.plan_updated'],
    );
  });

  test('a plan-only operator accepts its plan amounts only, at once; switched back, any amount again', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const on = await admin.call<Operator>('PUT', '/v1/operators/BSNL', { planOnly: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.planOnly, true);
    try {
      const off = await recharge(n.retailer, { operator: 'BSNL', subscriber: '9448012345', amount: 10_000 });
      assert.equal(off.status, 422, JSON.stringify(off.body));
      assert.equal(off.body.error.code, 'INVALID_AMOUNT');
      await expectWallet(n, 100_000);
      const plan = await recharge(n.retailer, { operator: 'BSNL', subscriber: '9448012345', amount: 10_700 });
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      assert.equal(plan.body.status, 'success');
    } finally {
      await admin.call('PUT', '/v1/operators/BSNL', { planOnly: false });
    }
    const any = await recharge(n.retailer, { operator: 'BSNL', subscriber: '9448012345', amount: 10_000 });
    assert.equal(any.status, 200, JSON.stringify(any.body));
    assert.ok((await balanceOf(n.retailer, n.retailerId)).balance < 100_000);
    const audited = (await db('audit_events')
      .where({ type: 'config.operator_updated', subject_id: 'BSNL' })
      .orderBy('seq', 'desc')
      .limit(2)
      .select('actor_id', 'details')) as Array<{ actor_id: string; details: { after: { planOnly: boolean } } }>;
    assert.deepEqual(
      audited.map((a) => a.details.after.planOnly),
      [false, true],
    );
  });
});
