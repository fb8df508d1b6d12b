import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { OPERATOR_TEST_SUBSCRIBERS } from '../../dev/simulators/operator/subscribers';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { expectWallet, fundedRetailer } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// Found by the chaos suite (chaos.test.ts), here on its own and without any crash: a provider
// that calls back right after answering the submission. The callback then reaches the workflow
// in the same workflow task as the submission's result, or before it; the reversal of a success
// must still be acted on (../shared/API.md: 9000000005 is refunded with the commission clawed back).

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack({ simulators: { operator: { reversalMs: 50 } } });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});

after(async () => {
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

test('a reversal called back 50 ms after the success is refunded, every time', async () => {
  const n = await fundedRetailer(admin, 100_000);
  const ids: string[] = [];
  // Amounts differ: the same subscriber and amount twice would be refused as a duplicate.
  for (const amount of [1_000, 2_000, 3_000, 4_000, 5_000]) {
    const r = await n.retailer.call<{ id: string }>(
      'POST',
      '/v1/recharges',
      { operator: 'JIO', subscriber: OPERATOR_TEST_SUBSCRIBERS.successThenReversal, amount },
      { 'Idempotency-Key': randomUUID() },
    );
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.id);
  }
  const statusOf = async (id: string) => (await n.retailer.get<{ status: string }>(`/v1/recharges/${id}`)).body.status;
  let statuses: string[] = [];
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    statuses = await Promise.all(ids.map(statusOf));
    if (statuses.every((s) => s === 'reversed')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(
    statuses,
    ids.map(() => 'reversed'),
  );
  await expectWallet(n, 100_000);
});
