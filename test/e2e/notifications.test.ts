import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, fundedRetailer } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await stack.stop();
  await db.destroy();
});

async function smsSinkDown(down: boolean): Promise<void> {
  const res = await fetch(`${stack.sims.urls.sms}/control`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ down }),
  });
  assert.equal(res.status, 200);
}

async function smsTo(mobile: string): Promise<Array<{ body: string }>> {
  const res = await fetch(`${stack.sims.urls.sms}/messages?to=${mobile}`);
  return ((await res.json()) as { items: Array<{ body: string }> }).items;
}

test('an SMS outage neither delays nor fails the money path; the SMS goes out once the sink is back', async () => {
  const n = await fundedRetailer(admin, 100_000);
  const me = await n.retailer.get<{ mobile: string }>(`/v1/users/${n.retailerId}`);
  await smsSinkDown(true);
  try {
    const started = Date.now();
    const r = await n.retailer.call<{ id: string; status: string }>(
      'POST',
      '/v1/recharges?waitMs=10000',
      { operator: 'VI', subscriber: '9878901234', amount: 10_000 },
      { 'Idempotency-Key': randomUUID() },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'success');
    assert.ok(Date.now() - started < 5000, 'the outcome did not wait for the SMS');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
    assert.equal((await smsTo(me.body.mobile)).length, 0);
  } finally {
    await smsSinkDown(false);
  }
  // Retried by the dispatcher from PostgreSQL: the recharge's own alert and its debit's.
  const sms = await eventually(
    () => smsTo(me.body.mobile),
    (items) => items.some((m) => /succeeded/.test(m.body)) && items.some((m) => /debited/.test(m.body)),
    30_000,
  );
  assert.equal(sms.filter((m) => /Recharge of ₹100\.00 for VI 9878901234 succeeded/.test(m.body)).length, 1);
  assert.equal(
    sms.filter((m) => /₹100\.00 debited from your wallet \(recharge\)\. Balance ₹900\.00/.test(m.body)).length,
    1,
  );
});
