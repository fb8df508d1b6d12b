import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { rechargeId, rechargeWorkflowId } from '../../src/recharges/types';
import { startApi, type RunningApi } from '../../src/run/api';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, fundedRetailer, type Network } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

/** Answers PENDING forever: a recharge to it stays in flight until support resolves it. */
const PENDING_FOREVER = '9000000007';
const AMOUNT = 10_000;

let stack: TestStack;
let db: Db;
let admin: ApiClient;
const extraApis: RunningApi[] = [];

before(async () => {
  stack = await startStack({
    env: { RECHARGE_MAX_PENDING_SECONDS: '600', RECHARGE_DUPLICATE_WINDOW_SECONDS: '0' },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  for (const api of extraApis) await api.stop();
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

/**
 * Recharges in flight as the admission count sees them. Test files run one after another and
 * each stops its worker, so what earlier files left in flight does not move during this one.
 */
async function inFlightNow(): Promise<number> {
  const r = await db.raw<{ rows: Array<{ n: number }> }>(
    `select count(*)::int as n from recharge_admissions a left join recharges r on r.id = a.recharge_id
      where r.id is null or r.status in ('received', 'processing', 'pending')`,
  );
  return r.rows[0]!.n;
}

/** A second API process's worth of API, in this process, with its own bounds. */
async function apiWithBounds(platform: number, perUser: number): Promise<string> {
  const config = loadConfig({
    ...stack.env,
    API_PORT: '0',
    RECHARGE_MAX_IN_FLIGHT: String(platform),
    RECHARGE_MAX_IN_FLIGHT_PER_USER: String(perUser),
  });
  const api = await startApi(config, createLogger('silent'));
  extraApis.push(api);
  return api.url;
}

/**
 * A recharge that stays pending; amounts differ (₹1 steps) so that concurrent ones are not
 * refused as duplicates of each other.
 */
function start(api: ApiClient, key: string, amount = AMOUNT + randomInt(0, 100) * 100) {
  return api.call<{ id: string; status: string; amount: number; error?: { code: string } }>(
    'POST',
    '/v1/recharges',
    { operator: 'JIO', subscriber: PENDING_FOREVER, amount },
    { 'Idempotency-Key': key },
  );
}

/** Fires every request at once; the keys of the accepted and of the refused ones. */
async function burst(requests: Array<{ api: ApiClient; key: string }>) {
  const replies = await Promise.all(requests.map(async (r) => ({ ...r, reply: await start(r.api, r.key) })));
  const accepted = replies.filter((r) => r.reply.status === 202);
  const refused = replies.filter((r) => r.reply.status === 429);
  assert.equal(
    accepted.length + refused.length,
    replies.length,
    JSON.stringify(replies.map((r) => [r.reply.status, r.reply.body])),
  );
  for (const r of refused) {
    assert.equal(r.reply.body.error?.code, 'RATE_LIMITED');
    assert.equal(r.reply.headers.get('retry-after'), '1');
  }
  return { accepted, refused };
}

/** A refused request left nothing behind: no recharge, no workflow, no idempotency record. */
async function expectNothingFrom(userId: string, key: string): Promise<void> {
  assert.equal(
    await db('recharges')
      .where({ id: rechargeId(userId, key) })
      .first(),
    undefined,
  );
  assert.equal(
    await db('recharge_admissions')
      .where({ recharge_id: rechargeId(userId, key) })
      .first(),
    undefined,
  );
  assert.equal(await db('idempotency_keys').where({ key }).first(), undefined);
  const temporal = await connectClient(stack.config.temporal);
  try {
    await assert.rejects(
      temporal.workflow.getHandle(rechargeWorkflowId(userId, key)).describe(),
      (err) => err instanceof WorkflowNotFoundError,
    );
  } finally {
    await temporal.connection.close();
  }
}

async function resolveFailed(id: string): Promise<void> {
  const r = await admin.post(`/v1/ops/recharges/${id}/resolve`, { outcome: 'failed', note: 'admission test' }, false);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await eventually(
    async () => (await admin.get<{ status: string }>(`/v1/recharges/${id}`)).body.status,
    (s) => s === 'failed',
  );
}

describe('admission control: a bound on recharges in flight, answered 429 before anything changes', () => {
  let n: Network;
  let url: string;
  const accepted: string[] = [];

  test('per user: with the bound at 3, 7 concurrent requests → exactly 4 refused, and they changed nothing', async () => {
    n = await fundedRetailer(admin, 100_000);
    url = await apiWithBounds(1000, 3);
    const api = new ApiClient(url, n.retailer.key);
    const before = await balanceOf(n.retailer, n.retailerId);
    const { accepted: ok, refused } = await burst(Array.from({ length: 7 }, () => ({ api, key: randomUUID() })));
    assert.equal(ok.length, 3);
    assert.equal(refused.length, 4);
    accepted.push(...ok.map((r) => r.reply.body.id));
    for (const r of refused) {
      assert.match(JSON.stringify(r.reply.body), /your recharges/);
      await expectNothingFrom(n.retailerId, r.key);
    }
    // Only the admitted ones hold money; the balance itself has not moved.
    const held = ok.reduce((sum, r) => sum + r.reply.body.amount, 0);
    assert.deepEqual(await balanceOf(n.retailer, n.retailerId), {
      ...before,
      held,
      available: before.balance - held,
    });
    assert.equal((await db('recharges').where({ user_id: n.retailerId })).length, 3);

    // Still full: a refused key is refused again, and a retry of an admitted one is answered as before.
    const again = await start(api, refused[0]!.key);
    assert.equal(again.status, 429);
    const retry = await start(api, ok[0]!.key, ok[0]!.reply.body.amount);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.id, ok[0]!.reply.body.id);

    // Once one is final, the refused key is taken as a new request.
    await resolveFailed(ok[0]!.reply.body.id);
    const reused = await start(api, refused[0]!.key);
    assert.equal(reused.status, 202, JSON.stringify(reused.body));
    assert.equal(reused.body.id, rechargeId(n.retailerId, refused[0]!.key));
    accepted.push(reused.body.id);
  });

  test('platform-wide, across API processes: with room for 2 more, 5 requests from 5 users → exactly 3 refused', async () => {
    const bound = (await inFlightNow()) + 2;
    // Two API processes' worth, the requests spread over both: the bound is the platform's.
    const urls = [await apiWithBounds(bound, 50), await apiWithBounds(bound, 50)];
    const users = await Promise.all(Array.from({ length: 5 }, () => fundedRetailer(admin, 50_000)));
    const { accepted: ok, refused } = await burst(
      users.map((u, i) => ({ api: new ApiClient(urls[i % 2]!, u.retailer.key), key: randomUUID() })),
    );
    assert.equal(ok.length, 2);
    assert.equal(refused.length, 3);
    accepted.push(...ok.map((r) => r.reply.body.id));
    for (const r of refused) {
      assert.match(JSON.stringify(r.reply.body), /on the platform/);
      const user = users.find((u) => u.retailer.key === r.api.key)!;
      await expectNothingFrom(user.retailerId, r.key);
      const w = await balanceOf(user.retailer, user.retailerId);
      assert.deepEqual([w.balance, w.held], [50_000, 0]);
    }
  });

  test('a request that fails after admission gives its place back', async () => {
    const bound = (await inFlightNow()) + 1;
    const api = new ApiClient(await apiWithBounds(bound, 50), n.retailer.key);
    // Over the retailer's funds: refused by screening inside the workflow (a final recharge).
    const big = await api.call(
      'POST',
      '/v1/recharges',
      { operator: 'JIO', subscriber: PENDING_FOREVER, amount: 1_000_000 },
      { 'Idempotency-Key': randomUUID() },
    );
    assert.equal(big.status, 422, JSON.stringify(big.body));
    // Refused before its workflow (an unknown operator is a 422 from validation, before
    // admission; a missing step-up is after it).
    const stepUp = await api.call(
      'POST',
      '/v1/recharges',
      { operator: 'JIO', subscriber: PENDING_FOREVER, amount: 2_000_000 },
      { 'Idempotency-Key': randomUUID() },
    );
    assert.equal(stepUp.status, 422, JSON.stringify(stepUp.body));
    await eventually(inFlightNow, (c) => c === bound - 1);
    const last = await start(api, randomUUID());
    assert.equal(last.status, 202, JSON.stringify(last.body));
    accepted.push(last.body.id);
    assert.equal((await start(api, randomUUID())).status, 429);
  });

  test('cleanup: every admitted recharge resolved; no hold left', async () => {
    for (const id of accepted) {
      const r = await admin.get<{ status: string }>(`/v1/recharges/${id}`);
      if (r.body.status !== 'failed') await resolveFailed(id);
    }
    const w = await balanceOf(n.retailer, n.retailerId);
    assert.equal(w.held, 0);
  });
});
