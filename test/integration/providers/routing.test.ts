import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import type { Logger } from '../../../src/logger';
import { ExchangeStore } from '../../../src/providers/recharge/exchanges';
import { ProviderRegistry, providerEnvironment } from '../../../src/providers/recharge/registry';
import { RechargeRouter } from '../../../src/providers/recharge/routing';
import type { ProviderExchange } from '../../../src/providers/recharge/types';
import { testDb, uniq } from '../../support/db';

const OPERATORS = ['JIO', 'AIRTEL', 'VI', 'BSNL', 'TATAPLAY', 'AIRTELDTH', 'DISHTV', 'D2H', 'SUNDIRECT'];
const COOLDOWN_MS = 400;

const db = testDb();
const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let alphaDefinition: unknown;

before(async () => {
  const row = (await db('recharge_providers').where({ name: 'alpha' }).first()) as { definition: unknown };
  alphaDefinition = row.definition;
});
after(() => db.destroy());

/** Providers and an operator of this test's own, so nothing else in the shared database is touched. */
async function routed(count: number): Promise<{ operator: string; names: string[] }> {
  const operator = `T${uniq('').toUpperCase().slice(-12)}`;
  const names = Array.from({ length: count }, () => uniq('p'));
  await db('recharge_providers').insert(names.map((name) => ({ name, definition: JSON.stringify(alphaDefinition) })));
  await db('recharge_routes').insert(names.map((provider, i) => ({ operator, provider, priority: i + 1 })));
  return { operator, names };
}

describe('seeded routing table', () => {
  test('alpha then beta for all nine operators, enabled, no secrets in the definitions', async () => {
    const rows = (await db('recharge_routes')
      .whereIn('provider', ['alpha', 'beta'])
      .orderBy(['operator', 'priority'])) as Array<{
      operator: string;
      provider: string;
      priority: number;
      enabled: boolean;
    }>;
    for (const op of OPERATORS) {
      assert.deepEqual(
        rows.filter((r) => r.operator === op).map((r) => [r.provider, r.priority, r.enabled]),
        [
          ['alpha', 1, true],
          ['beta', 2, true],
        ],
        op,
      );
    }
    const defs = JSON.stringify(await db('recharge_providers').whereIn('name', ['alpha', 'beta']));
    for (const secret of Object.values(config.providers.credentials)) assert.ok(!defs.includes(secret));
  });
});

describe('RechargeRouter', () => {
  test('priority order, exclusions, disabled routes and providers', async () => {
    const router = new RechargeRouter(db, { threshold: 3, cooldownMs: COOLDOWN_MS });
    const { operator, names } = await routed(3);
    const [p1, p2, p3] = names as [string, string, string];
    assert.deepEqual(await router.candidates(operator), [p1, p2, p3]);
    assert.deepEqual(await router.candidates(operator, { exclude: [p1] }), [p2, p3]);
    assert.deepEqual(await router.candidates('NOSUCHOP'), []);

    await db('recharge_routes').where({ operator, provider: p2 }).update({ enabled: false });
    assert.deepEqual(await router.candidates(operator), [p1, p3]);
    await db('recharge_providers').where({ name: p3 }).update({ enabled: false });
    assert.deepEqual(await router.candidates(operator), [p1]);

    await db('recharge_routes').where({ operator, provider: p3 }).update({ priority: 0 });
    await db('recharge_providers').where({ name: p3 }).update({ enabled: true });
    assert.deepEqual(await router.candidates(operator), [p3, p1]);
  });

  test('the breaker opens after N consecutive failures, probes once after the cool-down, closes on success', async () => {
    const router = new RechargeRouter(db, { threshold: 3, cooldownMs: COOLDOWN_MS });
    const { operator, names } = await routed(2);
    const [p1, p2] = names as [string, string];

    assert.equal((await router.recordOutcome(p1, 'failure')).opened, false);
    await router.recordOutcome(p1, 'ok');
    assert.equal((await router.health(p1)).consecutiveFailures, 0, 'a success resets the count');

    for (let i = 0; i < 2; i++) assert.equal((await router.recordOutcome(p1, 'failure')).opened, false);
    assert.deepEqual(await router.candidates(operator), [p1, p2], 'still closed below the threshold');
    const opened = await router.recordOutcome(p1, 'failure');
    assert.equal(opened.opened, true);
    assert.equal(opened.state, 'open');
    assert.equal(opened.consecutiveFailures, 3);
    assert.deepEqual(await router.candidates(operator), [p2], 'open: skipped');

    const late = await router.recordOutcome(p1, 'failure');
    assert.equal(late.opened, false, 'a late failure does not re-open or extend');
    assert.equal(late.openedUntil?.getTime(), opened.openedUntil?.getTime());

    await sleep(COOLDOWN_MS + 50);
    assert.deepEqual(await router.candidates(operator), [p1, p2], 'due: one probe');
    assert.equal((await router.health(p1)).state, 'half_open');
    assert.deepEqual(await router.candidates(operator), [p2], 'only one probe at a time');

    assert.equal((await router.recordOutcome(p1, 'failure')).opened, true, 'a failed probe opens it again');
    assert.deepEqual(await router.candidates(operator), [p2]);

    await sleep(COOLDOWN_MS + 50);
    assert.deepEqual(await router.candidates(operator), [p1, p2]);
    await router.recordOutcome(p1, 'ok');
    assert.deepEqual(await router.health(p1), {
      provider: p1,
      state: 'closed',
      consecutiveFailures: 0,
      openedUntil: null,
    });
    assert.deepEqual(await router.candidates(operator), [p1, p2]);
    assert.deepEqual(await router.candidates(operator), [p1, p2]);
  });

  test('a probe whose outcome never comes is given again one cool-down later', async () => {
    const router = new RechargeRouter(db, { threshold: 1, cooldownMs: COOLDOWN_MS });
    const { operator, names } = await routed(1);
    const [p1] = names as [string];
    await router.recordOutcome(p1, 'failure');
    assert.deepEqual(await router.candidates(operator), []);
    await sleep(COOLDOWN_MS + 50);
    assert.deepEqual(await router.candidates(operator), [p1]);
    assert.deepEqual(await router.candidates(operator), []);
    await sleep(COOLDOWN_MS + 50);
    assert.deepEqual(await router.candidates(operator), [p1]);
  });

  test('breaker state is shared by processes: concurrent failures all count, one probe among many callers', async () => {
    const other = testDb(); // a second pool, like a second worker process
    try {
      const routers = [
        new RechargeRouter(db, { threshold: 1000, cooldownMs: COOLDOWN_MS }),
        new RechargeRouter(other, { threshold: 1000, cooldownMs: COOLDOWN_MS }),
      ];
      const { operator, names } = await routed(1);
      const [p1] = names as [string];
      await Promise.all(Array.from({ length: 20 }, (_, i) => routers[i % 2]!.recordOutcome(p1, 'failure')));
      assert.equal((await routers[0]!.health(p1)).consecutiveFailures, 20);

      const strict = [
        new RechargeRouter(db, { threshold: 20, cooldownMs: COOLDOWN_MS }),
        new RechargeRouter(other, { threshold: 20, cooldownMs: COOLDOWN_MS }),
      ];
      await strict[0]!.recordOutcome(p1, 'ok');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => strict[i % 2]!.recordOutcome(p1, 'failure')),
      );
      assert.equal(outcomes.filter((o) => o.opened).length, 1, 'exactly one failure (the 20th) opened it');
      assert.equal((await strict[0]!.health(p1)).state, 'open');

      await sleep(COOLDOWN_MS + 50);
      const lists = await Promise.all(Array.from({ length: 10 }, (_, i) => strict[i % 2]!.candidates(operator)));
      assert.equal(lists.filter((l) => l.includes(p1)).length, 1);
    } finally {
      await other.destroy();
    }
  });
});

describe('ProviderRegistry', () => {
  test('builds alpha and beta from their seeded definitions', async () => {
    const registry = new ProviderRegistry(db, providerEnvironment(config.providers));
    for (const name of ['alpha', 'beta']) {
      const p = await registry.get(name);
      assert.ok(p);
      assert.equal(p.name, name);
      for (const op of OPERATORS) assert.ok(p.supports(op), `${name} ${op}`);
    }
    assert.equal(await registry.get('nosuch'), undefined);
  });

  test('a bad definition or a missing secret leaves that provider out, the rest load', async () => {
    const { operator, names } = await routed(3);
    const [good, broken, secretless] = names as [string, string, string];
    const def = alphaDefinition as { credentials: unknown[] };
    await db('recharge_providers')
      .where({ name: broken })
      .update({ definition: JSON.stringify({ ...def, baseUrl: undefined }) });
    await db('recharge_providers')
      .where({ name: secretless })
      .update({
        definition: JSON.stringify({ ...def, credentials: [{ header: 'X-Key', env: 'PROVIDER_NOT_CONFIGURED' }] }),
      });
    const errors: unknown[] = [];
    const log = { error: (o: unknown) => errors.push(o) } as unknown as Logger;
    const registry = new ProviderRegistry(db, providerEnvironment(config.providers), { log });
    const router = new RechargeRouter(db, config.providers.rechargeBreaker);
    assert.deepEqual(await router.candidates(operator), [good, broken, secretless]);
    assert.ok(await registry.get(good));
    assert.equal(await registry.get(broken), undefined);
    assert.equal(await registry.get(secretless), undefined);
    const logged = JSON.stringify(errors, (_k, v: unknown) => (v instanceof Error ? v.message : v));
    assert.match(logged, new RegExp(`${broken}.*baseUrl`));
    assert.match(logged, /PROVIDER_NOT_CONFIGURED is not set/);
  });

  test('definitions are cached until the table changes or the TTL passes; disabled providers stay available', async () => {
    const { names } = await routed(1);
    const [p1] = names as [string];
    const registry = new ProviderRegistry(db, providerEnvironment(config.providers), { ttlMs: 60_000 });
    assert.ok(await registry.get(p1));

    // An edit that leaves updated_at alone is not seen until a reload (or the TTL)...
    await db('recharge_providers')
      .where({ name: p1 })
      .update({ definition: JSON.stringify({ broken: true }) });
    assert.ok(await registry.get(p1), 'cached');
    await registry.reload();
    assert.equal(await registry.get(p1), undefined, 'reloaded');

    // ...while an edit through the API (which stamps updated_at) is seen at once by every process.
    await db('recharge_providers')
      .where({ name: p1 })
      .update({ definition: JSON.stringify(alphaDefinition), updated_at: db.fn.now() });
    assert.ok(await registry.get(p1), 'an edit stamped with updated_at is seen without a reload');

    await db('recharge_providers').where({ name: p1 }).update({ enabled: false, updated_at: db.fn.now() });
    const quick = new ProviderRegistry(db, providerEnvironment(config.providers), { ttlMs: 100 });
    assert.ok(await quick.get(p1), 'a disabled provider still answers status checks and callbacks');
    await db('recharge_providers')
      .where({ name: p1 })
      .update({ definition: JSON.stringify({ broken: true }) });
    assert.ok(await quick.get(p1), 'cached within the TTL');
    await sleep(150);
    assert.equal(await quick.get(p1), undefined, 'the TTL passed');
    await db('recharge_providers').where({ name: p1 }).delete();
  });
});

describe('ExchangeStore', () => {
  const exchange = (operation: ProviderExchange['operation'], provider: string, body: string): ProviderExchange => ({
    provider,
    operation,
    request: { method: 'POST', url: 'http://127.0.0.1/x', headers: { 'X-Api-Key': '****' }, body },
    response: operation === 'callback' ? null : { status: 200, body: '{"status":"PENDING"}' },
    error: null,
    durationMs: 12,
    at: new Date('2026-11-22T10:00:00.000Z'),
  });

  test('records, lists in order, finds the last submission per provider', async () => {
    const store = new ExchangeStore(db);
    const ref = uniq('rc');
    const first = await store.record(ref, exchange('submit', 'alpha', 'one'));
    await store.record(ref, exchange('status', 'alpha', 'two'));
    const third = await store.record(ref, exchange('submit', 'alpha', 'three'));
    await store.record(ref, exchange('callback', 'beta', 'four'));
    await store.record(null, exchange('callback', 'beta', 'untied'));

    const list = await store.list(ref);
    assert.deepEqual(
      list.map((e) => e.request.body),
      ['one', 'two', 'three', 'four'],
    );
    assert.equal(list[0]!.id, first);
    assert.deepEqual(list[0], { id: first, rechargeId: ref, ...exchange('submit', 'alpha', 'one') });
    assert.equal(list[3]!.response, null);

    const last = await store.lastSubmission(ref, 'alpha');
    assert.equal(last?.id, third);
    assert.equal(await store.lastSubmission(ref, 'beta'), undefined);
    assert.equal(await store.lastSubmission(uniq('rc'), 'alpha'), undefined);
  });
});
