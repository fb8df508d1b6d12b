import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb, uniq } from '../support/db';
import { waitFor } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// A provider's prepaid balance (read from its balance endpoint by the reconciliation's schedule)
// below its level alerts operations by email once per crossing: not again while it stays below,
// again after it has been above. The provider here is added for the test with an absolute URL, so
// every worker sharing the database reads the same (this file's) simulator.

const OPS = `ops-${uniq()}@example.test`;
const LEVEL = 1_000_00; // ₹1,000
const NAME = `bal-${uniq().slice(0, 20)}`;
const NAME_BETA = `${NAME}-b`;

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let support: ApiClient;

type Mail = { subject: string; text: string };

before(async () => {
  stack = await startStack({ env: { OPS_ALERT_EMAIL: OPS } });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const s = await admin.post('/v1/users', { role: 'support', name: 'Support', mobile: uniqueMobile() }, false);
  const k = await admin.post('/v1/api-keys', { userId: s.body.id as string, name: 'support' }, false);
  support = admin.as(k.body.key as string);

  const list = await admin.get<{ items: Array<{ name: string; definition: Record<string, unknown> }> }>(
    '/v1/providers',
  );
  for (const [name, sim] of [
    [NAME, 'alpha'],
    [NAME_BETA, 'beta'],
  ]) {
    const seeded = list.body.items.find((p) => p.name === sim)!.definition;
    assert.ok(seeded.balance, `the seeded ${sim} has a balance request`);
    const created = await admin.post(
      '/v1/providers',
      {
        name,
        definition: {
          ...seeded,
          baseUrl: `${stack.sims.urls.operator}/providers/${sim}`,
          balance: { ...(seeded.balance as object), alertBelowPaise: LEVEL },
        },
      },
      false,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
});

after(async () => {
  for (const name of [NAME, NAME_BETA]) await admin.call('PUT', `/v1/providers/${name}`, { enabled: false });
  await stack.stop();
  await db.destroy();
});

async function setBalance(paise: number, sim = 'alpha'): Promise<void> {
  const res = await fetch(`${stack.sims.urls.operator}/control/providers/${sim}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ balance: paise }),
  });
  assert.equal(res.status, 200);
}

async function check(): Promise<void> {
  const r = await support.post('/v1/ops/reconciliation/run', {}, false);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function alertsSent(name = NAME): Promise<Mail[]> {
  const res = await fetch(`${stack.sims.urls.mailHttp}/messages?to=${encodeURIComponent(OPS)}`);
  const items = ((await res.json()) as { items: Mail[] }).items;
  return items.filter((m) => m.subject.includes(`provider ${name} `));
}

async function lowGauge(): Promise<string | undefined> {
  const text = await (await fetch(`${stack.api.url}/metrics`)).text();
  return text
    .split('\n')
    .find((l) => l.startsWith(`tijori_provider_balance_low{provider="${NAME}"} `))
    ?.split(' ')[1];
}

/** Alerts queued for this provider, sent or not: a repeat shows here before any mail goes out. */
async function alertsQueued(): Promise<number> {
  const row = (await db('alert_deliveries')
    .where('key', 'like', `provider-balance-low:${NAME}:%`)
    .count({ n: '*' })
    .first()) as { n: string | number };
  return Number(row.n);
}

test('a provider balance below its level alerts ops once per crossing', { timeout: 90_000 }, async () => {
  await setBalance(LEVEL + 50_00);
  await check();
  assert.equal(await alertsQueued(), 0, 'above the level: no alert');
  assert.equal(await lowGauge(), '0');

  await setBalance(LEVEL - 1);
  await check();
  const first = await waitFor(alertsSent, (m) => m.length >= 1);
  assert.equal(first.length, 1);
  assert.match(first[0]!.subject, /balance low \(₹999\.99\)/);
  assert.match(first[0]!.text, /below its alert level of ₹1000\.00/);
  await waitFor(lowGauge, (v) => v === '1'); // the gauges are read at most once a second

  await setBalance(LEVEL - 500_00);
  await check();
  await check();
  assert.equal(await alertsQueued(), 1, 'still below: no repeat');

  await setBalance(LEVEL);
  await check();
  assert.equal(await alertsQueued(), 1, 'at the level is not below it');
  await waitFor(lowGauge, (v) => v === '0');

  await setBalance(20_00);
  await check();
  const second = await waitFor(alertsSent, (m) => m.length >= 2);
  assert.equal(second.length, 2);
  assert.equal(await alertsQueued(), 2);
  assert.ok(second.some((m) => m.subject.includes('(₹20.00)')));
});

test('a balance given in rupees (beta) is read as paise', { timeout: 60_000 }, async () => {
  await setBalance(LEVEL - 1, 'beta');
  await check();
  const sent = await waitFor(
    () => alertsSent(NAME_BETA),
    (m) => m.length >= 1,
  );
  assert.equal(sent.length, 1);
  assert.match(sent[0]!.subject, /balance low \(₹999\.99\)/);
});
