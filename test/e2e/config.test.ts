import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger, systemAccounts } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { testDb, uniq } from '../support/db';
import { eventually, expectWallet, fundedRetailer, type Network } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

type Rule = {
  role: string;
  operator: string | null;
  kind: string | null;
  percentBps: number | null;
  flatPaise: number | null;
  tdsBps: number;
};
type Plan = {
  id: string;
  name: string;
  isDefault: boolean;
  effectiveFrom: string | null;
  rules: Rule[];
  ruleSets: Array<{ effectiveFrom: string | null; rules: Rule[] }>;
  assignments: Array<{ userId: string | null; role: string | null; effectiveFrom: string }>;
};
type Provider = {
  name: string;
  enabled: boolean;
  definition: Record<string, unknown>;
  routes: Array<{ operator: string; priority: number; enabled: boolean }>;
};
type Recharge = { id: string; status: string; provider: string | null; commission: number };
type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const GAMMA_SECRET_ENV = 'PROVIDER_TEST_GAMMA_CALLBACK_SECRET';
const defaultTds = { rateBps: 200, noPanRateBps: 2000, thresholdPaise: 2_000_000 };

let stack: TestStack;
let db: Db;
let admin: ApiClient;
const gamma = uniq('gamma')
  .toLowerCase()
  .replace(/[^a-z0-9]/g, '')
  .slice(0, 20);

before(async () => {
  stack = await startStack({ env: { [GAMMA_SECRET_ENV]: 'test-gamma-callback-secret-0123456789' } });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  // Later test files share the database: the statutory TDS settings back, the test provider routeless.
  await db('tds_settings').update({ rate_bps: 200, no_pan_rate_bps: 2000, threshold_paise: 2_000_000 });
  await db('recharge_routes').where({ provider: gamma }).delete();
  await db('recharge_providers').where({ name: gamma }).update({ enabled: false, updated_at: db.fn.now() });
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

/** A fresh number each time: the same number and amount twice within the window is refused as a duplicate. */
const anyNumber = () => `98${String(randomInt(0, 1e8)).padStart(8, '0')}`;
const recharge = (api: ApiClient, subscriber = anyNumber(), amount = 10_000) =>
  api.call<Recharge & ErrorBody>(
    'POST',
    '/v1/recharges?waitMs=15000',
    { operator: 'JIO', subscriber, amount },
    { 'Idempotency-Key': randomUUID() },
  );

async function tdsOf(rechargeId: string, userId: string): Promise<number> {
  const t = (await db('ledger_transfers')
    .where({ id: `${rechargeId}:tds:${userId}` })
    .first('amount', 'credit_account_id')) as { amount: string; credit_account_id: string } | undefined;
  if (t) assert.equal(t.credit_account_id, systemAccounts.tdsPayable);
  return t ? Number(t.amount) : 0;
}

describe('commission plans', () => {
  test('the seeded default plan is listed as it is; only admins read plans', async () => {
    const n = await fundedRetailer(admin, 0);
    assert.equal((await n.dist.get('/v1/commission-plans')).status, 403);
    const r = await admin.get<{ items: Plan[] }>('/v1/commission-plans');
    assert.equal(r.status, 200);
    const seeded = r.body.items.find((p) => p.id === 'default')!;
    assert.equal(seeded.isDefault, true);
    assert.equal(seeded.effectiveFrom, null, 'in force since always');
    assert.deepEqual(seeded.rules.map((x) => [x.role, x.kind, x.percentBps, x.tdsBps]).sort(), [
      ['distributor', null, 50, 0],
      ['master_distributor', null, 25, 0],
      ['retailer', 'dth', 350, 0],
      ['retailer', 'prepaid', 300, 0],
    ]);
  });

  test('create, assign to a user, change from a date on: each recharge earns by the rules of its moment', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const bad = await admin.post<ErrorBody>(
      '/v1/commission-plans',
      { name: 'bad', rules: [{ role: 'retailer', percentBps: 100, flatPaise: 5 }] },
      false,
    );
    assert.equal(bad.status, 400);
    const unknownOp = await admin.post(
      '/v1/commission-plans',
      { name: 'x', rules: [{ role: 'retailer', operator: 'NOPE', percentBps: 1 }] },
      false,
    );
    assert.equal(unknownOp.status, 400);
    const twice = await admin.post(
      '/v1/commission-plans',
      {
        name: 'x',
        rules: [
          { role: 'retailer', percentBps: 1 },
          { role: 'retailer', percentBps: 2 },
        ],
      },
      false,
    );
    assert.equal(twice.status, 400);
    assert.equal((await n.dist.post('/v1/commission-plans', { name: 'mine', rules: [] }, false)).status, 403);

    const created = await admin.post<Plan>(
      '/v1/commission-plans',
      { name: 'Five percent', rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 500 }] },
      false,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const planId = created.body.id;
    assert.equal(
      (await admin.post(`/v1/commission-plans/${planId}/assign`, { userId: n.distId, role: 'retailer' }, false)).status,
      400,
    );
    const assigned = await admin.post<Plan>(`/v1/commission-plans/${planId}/assign`, { userId: n.retailerId }, false);
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));

    const first = await recharge(n.retailer);
    assert.equal(first.body.commission, 500, JSON.stringify(first.body));
    await expectWallet(n, 100_000 - 10_000 + 500);

    // Rules for later: today's recharges keep today's rules.
    const later = new Date(Date.now() + 3600_000).toISOString();
    const scheduled = await admin.call<Plan>('PUT', `/v1/commission-plans/${planId}`, {
      rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 100 }],
      effectiveFrom: later,
    });
    assert.equal(scheduled.status, 200, JSON.stringify(scheduled.body));
    assert.equal(scheduled.body.ruleSets.length, 2);
    assert.equal(scheduled.body.rules[0]!.percentBps, 500, 'still in force');
    assert.equal((await recharge(n.retailer)).body.commission, 500);

    // The past is never rewritten; a change before a scheduled one is refused too.
    const past = await admin.call<ErrorBody>('PUT', `/v1/commission-plans/${planId}`, {
      rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 900 }],
      effectiveFrom: new Date(Date.now() - 86_400_000).toISOString(),
    });
    assert.equal(past.status, 400, JSON.stringify(past.body));
    const beforeScheduled = await admin.call<ErrorBody>('PUT', `/v1/commission-plans/${planId}`, {
      rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 900 }],
    });
    assert.equal(beforeScheduled.status, 409);
    // The scheduled set itself may still be replaced, and a rename is immediate.
    const replaced = await admin.call<Plan>('PUT', `/v1/commission-plans/${planId}`, {
      name: 'Five, then four',
      rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 400 }],
      effectiveFrom: later,
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.name, 'Five, then four');
    assert.deepEqual(
      replaced.body.ruleSets.map((s) => s.rules[0]!.percentBps),
      [500, 400],
    );
    assert.equal((await recharge(n.retailer)).body.commission, 500);
    // The distributor's default plan was never touched.
    const dist = (await n.dist.get<{ balance: number }>(`/v1/wallets/${n.distId}`)).body.balance;
    assert.equal(dist, 3 * 50);

    const audited = (await db('audit_events').where({ subject_id: planId }).orderBy('seq').select('type')) as Array<{
      type: string;
    }>;
    assert.deepEqual(
      audited.map((a) => a.type),
      ['config.commission_plan_created', 'config.commission_plan_updated', 'config.commission_plan_updated'],
    );
  });

  test('assigned to a role from a later date: listed, and nobody earns by it before then', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const created = await admin.post<Plan>(
      '/v1/commission-plans',
      {
        name: 'Retailers from 2099',
        rules: [{ role: 'retailer', percentBps: 1000 }],
        effectiveFrom: '2099-04-01T00:00:00+05:30',
      },
      false,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.rules, [], 'nothing in force yet');
    const tooEarly = await admin.post<ErrorBody>(
      `/v1/commission-plans/${created.body.id}/assign`,
      { role: 'retailer', effectiveFrom: '2099-01-01T00:00:00Z' },
      false,
    );
    assert.equal(tooEarly.status, 409, 'its rules start later: retailers would earn nothing in between');
    const assigned = await admin.post<Plan>(
      `/v1/commission-plans/${created.body.id}/assign`,
      { role: 'retailer', effectiveFrom: '2099-04-01T00:00:00+05:30' },
      false,
    );
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.deepEqual(
      assigned.body.assignments.map((a) => [a.role, a.effectiveFrom]),
      [['retailer', '2099-03-31T18:30:00.000Z']],
    );
    assert.equal((await recharge(n.retailer)).body.commission, 300);
  });
});

describe('TDS on commission (194H)', () => {
  test('settings: admins only, validated', async () => {
    const n = await fundedRetailer(admin, 0);
    assert.equal((await n.dist.get('/v1/config/tds')).status, 403);
    assert.deepEqual((await admin.get('/v1/config/tds')).body, defaultTds);
    assert.equal((await admin.call('PUT', '/v1/config/tds', { rateBps: 10_001 })).status, 400);
    assert.equal((await admin.call('PUT', '/v1/config/tds', { thresholdPaise: -1 })).status, 400);
    assert.equal((await n.dist.call('PUT', '/v1/config/tds', { rateBps: 100 })).status, 403);
    assert.deepEqual((await admin.get('/v1/config/tds')).body, defaultTds);
  });

  test('nothing withheld up to the threshold, then on the part above: 20 % without PAN, 2 % with', async () => {
    const noPan = await fundedRetailer(admin, 100_000);
    const withPan = await fundedRetailer(admin, 100_000);
    await db('kyc_profiles').insert({ user_id: withPan.retailerId, pan_verified_at: db.fn.now() });
    const set = await admin.call('PUT', '/v1/config/tds', { thresholdPaise: 500 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    try {
      const run = async (n: Network, expected: number[]) => {
        const got: number[] = [];
        for (let i = 0; i < expected.length; i++) {
          const r = await recharge(n.retailer);
          assert.equal(r.body.status, 'success', JSON.stringify(r.body));
          assert.equal(r.body.commission, 300, 'the gross commission');
          got.push(await tdsOf(r.body.id, n.retailerId));
          // The distributor earns 50 a recharge: within ₹5 all three times.
          assert.equal(await tdsOf(r.body.id, n.distId), 0);
        }
        assert.deepEqual(got, expected);
      };
      // 300 (within 500), then 100 of 300 above it, then all 300: 20 % is 0, 20, 60; 2 % is 0, 2, 6.
      await run(noPan, [0, 20, 60]);
      await expectWallet(noPan, 100_000 - 30_000 + 900 - 80);
      await run(withPan, [0, 2, 6]);
      await expectWallet(withPan, 100_000 - 30_000 + 900 - 8);
    } finally {
      await admin.call('PUT', '/v1/config/tds', { thresholdPaise: defaultTds.thresholdPaise });
    }
    const audited = (await db('audit_events')
      .where({ type: 'config.tds_updated' })
      .orderBy('seq', 'desc')
      .limit(2)
      .select('details')) as Array<{
      details: { after: { thresholdPaise: string } };
    }>;
    assert.deepEqual(
      audited.map((a) => a.details.after.thresholdPaise),
      ['2000000', '500'],
    );
  });
  test("a reversed recharge's commission no longer counts toward the year, and its TDS is returned", async () => {
    const n = await fundedRetailer(admin, 100_000);
    assert.equal((await admin.call('PUT', '/v1/config/tds', { thresholdPaise: 500 })).status, 200);
    try {
      const first = await recharge(n.retailer);
      const second = await recharge(n.retailer, '9000000005');
      assert.equal(await tdsOf(second.body.id, n.retailerId), 20, '300 before it: 100 above 500, at 20 %');
      await eventually(
        async () => (await n.retailer.get<Recharge>(`/v1/recharges/${second.body.id}`)).body,
        (r) => r.status === 'reversed',
      );
      const reversal = (await db('ledger_transfers')
        .where({ reversal_of: `${second.body.id}:tds:${n.retailerId}` })
        .first('amount')) as { amount: string } | undefined;
      assert.equal(Number(reversal?.amount), 20, 'the TDS withheld is returned with the refund');
      // Only the first commission (300) counts now: 300 + 300 is 100 above the threshold.
      const third = await recharge(n.retailer);
      assert.equal(await tdsOf(third.body.id, n.retailerId), 20);
      assert.equal(await tdsOf(first.body.id, n.retailerId), 0);
    } finally {
      await admin.call('PUT', '/v1/config/tds', { thresholdPaise: defaultTds.thresholdPaise });
    }
  });
});

describe('providers and routes', () => {
  const alphaDefinition = async () =>
    (await admin.get<{ items: Provider[] }>('/v1/providers')).body.items.find((p) => p.name === 'alpha')!.definition;
  const gammaDefinition = async () => {
    const def = structuredClone(await alphaDefinition()) as { callback: { signature: { secretEnv: string } } };
    def.callback.signature.secretEnv = GAMMA_SECRET_ENV;
    return def;
  };

  test('listed with their routes, to admins only', async () => {
    const n = await fundedRetailer(admin, 0);
    assert.equal((await n.dist.get('/v1/providers')).status, 403);
    const r = await admin.get<{ items: Provider[] }>('/v1/providers');
    const alpha = r.body.items.find((p) => p.name === 'alpha')!;
    assert.equal(alpha.enabled, true);
    assert.deepEqual(
      alpha.routes.find((x) => x.operator === 'JIO'),
      { operator: 'JIO', priority: 1, enabled: true },
    );
    assert.ok(!JSON.stringify(r.body).includes('dev-alpha-api-key'), 'secrets are named, never shown');
  });

  test('a definition is validated against the adapter schema and the deployment; nothing stored when refused', async () => {
    const def = await gammaDefinition();
    const { submit: _submit, ...noSubmit } = def as Record<string, unknown>;
    const refused = [
      { name: gamma, definition: noSubmit },
      { name: gamma, definition: { ...def, timeoutMs: 5 } },
      { name: gamma, definition: { ...def, credentials: [{ header: 'X-Api-Key', env: 'PROVIDER_NOT_SET_ANYWHERE' }] } },
      { name: 'Bad Name', definition: def },
    ];
    for (const body of refused) {
      const r = await admin.post<ErrorBody>('/v1/providers', body, false);
      assert.equal(r.status, 400, JSON.stringify(r.body));
    }
    assert.equal(await db('recharge_providers').where({ name: gamma }).first(), undefined);
  });

  test('dryRun makes a status call against the provider and stores nothing', async () => {
    const ok = await admin.post<{ reachable: boolean; result: { status: string } }>(
      '/v1/providers?dryRun=true',
      { name: gamma, definition: await gammaDefinition() },
      false,
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.reachable, true);
    assert.equal(ok.body.result.status, 'not_found');
    const n = await fundedRetailer(admin, 0);
    const notAdmin = await n.dist.post(
      '/v1/providers?dryRun=true',
      { name: gamma, definition: await gammaDefinition() },
      false,
    );
    assert.equal(notAdmin.status, 403);
    const elsewhere = { ...(await gammaDefinition()), baseUrl: 'http://127.0.0.1:9/none' };
    const down = await admin.post<{ reachable: boolean }>(
      '/v1/providers?dryRun=true',
      { name: gamma, definition: elsewhere },
      false,
    );
    assert.equal(down.status, 200);
    assert.equal(down.body.reachable, false);
    assert.equal(await db('recharge_providers').where({ name: gamma }).first(), undefined);
  });

  test('a provider added and routed over the API serves the next recharge, without a restart; routes removed, it does not', async () => {
    const created = await admin.post<Provider>(
      '/v1/providers',
      { name: gamma, definition: await gammaDefinition() },
      false,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.routes, []);
    assert.equal(
      (await admin.post('/v1/providers', { name: gamma, definition: await gammaDefinition() }, false)).status,
      409,
    );

    const badRoutes = await admin.call('PUT', `/v1/providers/${gamma}/routes`, {
      routes: [{ operator: 'NOPE', priority: 0 }],
    });
    assert.equal(badRoutes.status, 400);
    const twice = await admin.call('PUT', `/v1/providers/${gamma}/routes`, {
      routes: [
        { operator: 'JIO', priority: 0 },
        { operator: 'JIO', priority: 1 },
      ],
    });
    assert.equal(twice.status, 400);
    assert.equal((await admin.call('PUT', '/v1/providers/nosuch/routes', { routes: [] })).status, 404);

    const routed = await admin.call<Provider>('PUT', `/v1/providers/${gamma}/routes`, {
      routes: [{ operator: 'JIO', priority: 0, enabled: true }],
    });
    assert.equal(routed.status, 200, JSON.stringify(routed.body));
    const n = await fundedRetailer(admin, 100_000);
    const viaGamma = await recharge(n.retailer);
    assert.equal(viaGamma.body.status, 'success', JSON.stringify(viaGamma.body));
    assert.equal(viaGamma.body.provider, gamma);

    const disabled = await admin.call<Provider>('PUT', `/v1/providers/${gamma}`, { enabled: false });
    assert.equal(disabled.body.enabled, false);
    assert.equal((await recharge(n.retailer)).body.provider, 'alpha');
    await admin.call('PUT', `/v1/providers/${gamma}`, { enabled: true });
    assert.equal((await recharge(n.retailer)).body.provider, gamma);

    const cleared = await admin.call<Provider>('PUT', `/v1/providers/${gamma}/routes`, { routes: [] });
    assert.deepEqual(cleared.body.routes, []);
    assert.equal((await recharge(n.retailer)).body.provider, 'alpha');

    const types = (await db('audit_events').where({ subject_id: gamma }).orderBy('seq').select('type')) as Array<{
      type: string;
    }>;
    assert.deepEqual(
      types.map((t) => t.type),
      [
        'config.provider_created',
        'config.routes_replaced',
        'config.provider_updated',
        'config.provider_updated',
        'config.routes_replaced',
      ],
    );
  });
});
