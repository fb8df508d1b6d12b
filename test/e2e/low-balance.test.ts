import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { addUser, fund, waitFor, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// A user's low-balance level (PUT /v1/me/alerts): the debit that takes the wallet below it sends
// one alert (SMS and email, and a wallet.low_balance event); debits while it stays below send none;
// after a credit lifts it back, the next crossing alerts again.

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let dist: Member;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  dist = await addUser(admin, 'distributor');
  await fund(admin, dist, 100_000);
});
after(async () => {
  await stack.stop();
  await db.destroy();
});

async function smsTo(mobile: string): Promise<string[]> {
  const res = await fetch(`${stack.sims.urls.sms}/messages?to=${mobile}`);
  return ((await res.json()) as { items: Array<{ body: string }> }).items.map((m) => m.body);
}

async function mailTo(address: string): Promise<Array<{ subject: string; text: string }>> {
  const res = await fetch(`${stack.sims.urls.mailHttp}/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { items: Array<{ subject: string; text: string }> }).items;
}

test('one alert a downward crossing of the level, none while below, again after a top-up', async () => {
  const mobile = uniqueMobile();
  const email = `low${Date.now()}@example.test`;
  const created = await dist.api.post('/v1/users', { role: 'retailer', name: 'Low', mobile, email }, false);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const retId = created.body.id as string;
  const key = await dist.api.post('/v1/api-keys', { userId: retId, name: 'test' }, false);
  const me = admin.as(key.body.key as string);
  const set = await me.call('PUT', '/v1/me/alerts', { lowBalanceThreshold: 5_000 });
  assert.equal(set.status, 200, JSON.stringify(set.body));

  const move = async (from: string, to: string, amount: number) => {
    const r = await dist.api.post('/v1/transfers', { fromUserId: from, toUserId: to, amount });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  await move(dist.id, retId, 10_000); // 10,000
  await move(retId, dist.id, 3_000); // 7,000: above
  const first = await move(retId, dist.id, 3_000); // 4,000: crosses
  await move(retId, dist.id, 1_000); // 3,000: still below
  await move(retId, dist.id, 3_000); // 0: still below
  await move(dist.id, retId, 8_000); // 8,000: back above
  await move(retId, dist.id, 3_000); // 5,000: at the level is not below it
  const second = await move(retId, dist.id, 1); // 4,999: crosses again

  const events = await waitFor(
    async () =>
      (await db('events')
        .where({ user_id: retId, type: 'wallet.low_balance' })
        .orderBy('seq')
        .select('data')) as Array<{
        data: { balance: number; threshold: number; transferId: string };
      }>,
    (rows) => rows.length >= 2,
    30_000,
  );
  assert.deepEqual(
    events.map((e) => [e.data.transferId, e.data.balance, e.data.threshold]),
    [
      [first, 4_000, 5_000],
      [second, 4_999, 5_000],
    ],
  );
  const sms = await waitFor(
    async () => (await smsTo(mobile)).filter((b) => b.includes('below your alert level')),
    (b) => b.length >= 2,
    30_000,
  );
  // Alerts are sent concurrently: their order at the sink is not the events' order.
  assert.deepEqual(sms.sort(), [
    'Tijori: your wallet balance ₹40.00 is below your alert level of ₹50.00. Top up to keep recharging.',
    'Tijori: your wallet balance ₹49.99 is below your alert level of ₹50.00. Top up to keep recharging.',
  ]);
  const mails = await waitFor(
    async () => (await mailTo(email)).filter((m) => m.subject.startsWith('Tijori: low balance')),
    (m) => m.length >= 2,
    30_000,
  );
  assert.deepEqual(mails.map((m) => m.subject).sort(), ['Tijori: low balance ₹40.00', 'Tijori: low balance ₹49.99']);
  // Nothing more comes: the debits below the level were not crossings.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await db('events').where({ user_id: retId, type: 'wallet.low_balance' }).count({ n: '*' }))[0]!.n, 2n);

  // Without a level, no alert.
  assert.equal((await me.call('PUT', '/v1/me/alerts', { lowBalanceThreshold: null })).status, 200);
  await move(dist.id, retId, 10_000);
  await move(retId, dist.id, 14_000); // 999
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await db('events').where({ user_id: retId, type: 'wallet.low_balance' }).count({ n: '*' }))[0]!.n, 2n);
});
