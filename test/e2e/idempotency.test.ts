import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/knex';
import { Ledger, systemAccounts, walletAccountId } from '../../src/ledger';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey, type Reply } from '../support/api';
import { testDb } from '../support/db';
import { addUser, balanceOf, expectError, fund, utr, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let ledger: Ledger;
let temporal: Client;
let admin: ApiClient;
let dist: Member;
let ret: Member;

before(async () => {
  stack = await startStack();
  db = testDb();
  ledger = new Ledger(db);
  temporal = await connectClient(stack.config.temporal);
  admin = new ApiClient(stack.api.url, await adminKey(db));
  dist = await addUser(admin, 'distributor');
  ret = await addUser(dist.api, 'retailer');
  await fund(admin, dist, 500_000);
});
after(async () => {
  await stack.stop();
  await temporal.connection.close();
  await ledger.close();
  await db.destroy();
});

const transferBody = (amount: number, extra: object = {}) => ({
  fromUserId: dist.id,
  toUserId: ret.id,
  amount,
  ...extra,
});
const balances = async (): Promise<[number, number]> => [
  await balanceOf(admin, dist.id),
  await balanceOf(admin, ret.id),
];
const transfersWithId = async (id: string) =>
  Number((await db('ledger_transfers').where({ id }).count('* as n'))[0]!.n);

describe('POST /v1/transfers with an Idempotency-Key', () => {
  test('a repeat gets the first response and status; the money moves once', async () => {
    const key = randomUUID();
    const [d0, r0] = await balances();
    const first = await dist.api.post('/v1/transfers', transferBody(1_000, { note: 'once' }), key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.headers.get('idempotent-replayed'), null);
    for (const body of [
      transferBody(1_000, { note: 'once' }),
      { note: 'once', amount: 1_000, toUserId: ret.id, fromUserId: dist.id },
    ]) {
      const again = await dist.api.post('/v1/transfers', body, key);
      assert.deepEqual([again.status, again.body], [201, first.body]);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
    }
    assert.deepEqual(await balances(), [d0 - 1_000, r0 + 1_000]);
    assert.equal(await transfersWithId(first.body.id as string), 1);
  });

  test('the same key with another body is 409 IDEMPOTENCY_CONFLICT and moves nothing', async () => {
    const key = randomUUID();
    assert.equal((await dist.api.post('/v1/transfers', transferBody(2_000), key)).status, 201);
    const [d0, r0] = await balances();
    for (const body of [
      transferBody(2_001),
      transferBody(2_000, { note: 'changed' }),
      { fromUserId: ret.id, toUserId: dist.id, amount: 2_000 },
    ]) {
      expectError(await dist.api.post('/v1/transfers', body, key), 409, 'IDEMPOTENCY_CONFLICT');
    }
    assert.deepEqual(await balances(), [d0, r0]);
  });

  test('keys are scoped to the caller: another caller’s identical key is a new request', async () => {
    const key = randomUUID();
    const a = await dist.api.post('/v1/transfers', transferBody(300), key);
    const b = await admin.post('/v1/transfers', transferBody(300), key);
    assert.deepEqual([a.status, b.status], [201, 201]);
    assert.notEqual(a.body.id, b.body.id);
  });

  test('a business refusal is the stored answer; a 400 is not, so the key stays usable', async () => {
    const key = randomUUID();
    const [d0, r0] = await balances();
    const refused = await dist.api.post('/v1/transfers', transferBody(d0 + 1), key);
    expectError(refused, 422, 'INSUFFICIENT_FUNDS');
    await fund(admin, dist, 10_000);
    const again = await dist.api.post('/v1/transfers', transferBody(d0 + 1), key);
    assert.deepEqual([again.status, again.body], [422, refused.body]);
    assert.deepEqual(await balances(), [d0 + 10_000, r0]);

    const fresh = randomUUID();
    expectError(await dist.api.post('/v1/transfers', transferBody(0), fresh), 400, 'VALIDATION_FAILED');
    assert.equal((await dist.api.post('/v1/transfers', transferBody(700), fresh)).status, 201);
    assert.deepEqual(await balances(), [d0 + 10_000 - 700, r0 + 700]);
  });

  test('20 concurrent duplicates: all get the same 201, exactly one transfer is made', async () => {
    const key = randomUUID();
    const [d0, r0] = await balances();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => dist.api.post('/v1/transfers', transferBody(1_111), key)),
    );
    assert.ok(
      replies.every((r) => r.status === 201),
      JSON.stringify(replies.map((r) => r.body)),
    );
    assert.equal(
      new Set(replies.map((r) => JSON.stringify(r.body))).size,
      1,
      [...new Set(replies.map((r) => JSON.stringify(r.body)))].join('\n'),
    );
    assert.equal(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19);
    assert.equal(await transfersWithId(replies[0]!.body.id as string), 1);
    assert.deepEqual(await balances(), [d0 - 1_111, r0 + 1_111]);
  });

  test('10 concurrent requests, one key, different bodies: one wins, nine are 409, one amount moves', async () => {
    const key = randomUUID();
    const [d0, r0] = await balances();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => dist.api.post('/v1/transfers', transferBody(101 + i), key)),
    );
    const won = replies.filter((r) => r.status === 201);
    assert.equal(won.length, 1, JSON.stringify(replies.map((r) => [r.status, r.body])));
    for (const r of replies.filter((x) => x.status !== 201)) expectError(r, 409, 'IDEMPOTENCY_CONFLICT');
    const amount = won[0]!.body.amount as number;
    assert.deepEqual(await balances(), [d0 - amount, r0 + amount]);
  });

  test('distinct keys in parallel each move money once', async () => {
    const [d0, r0] = await balances();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => dist.api.post('/v1/transfers', transferBody(100))),
    );
    assert.ok(replies.every((r) => r.status === 201));
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 10);
    assert.deepEqual(await balances(), [d0 - 1_000, r0 + 1_000]);
  });
});

describe('POST /v1/topups with an Idempotency-Key', () => {
  const topupsOf = async (userId: string) => db('topups').where({ user_id: userId }).select('id', 'utr');

  test('concurrent duplicates make one top-up and one workflow; a replay answers the same', async () => {
    const m = await addUser(dist.api, 'retailer');
    const key = randomUUID();
    const body = { method: 'bank_transfer', amount: 4_000, utr: utr() };
    const replies = await Promise.all(Array.from({ length: 10 }, () => m.api.post('/v1/topups', body, key)));
    assert.ok(
      replies.every((r) => r.status === 202),
      JSON.stringify(replies.map((r) => r.body)),
    );
    assert.equal(new Set(replies.map((r) => JSON.stringify(r.body))).size, 1);
    const rows = await topupsOf(m.id);
    assert.equal(rows.length, 1);
    const id = replies[0]!.body.id as string;
    assert.equal((await temporal.workflow.getHandle(`topup-${id}`).describe()).status.name, 'RUNNING');
    const later = await m.api.post('/v1/topups', body, key);
    assert.deepEqual([later.status, later.body], [202, replies[0]!.body]);
    expectError(await m.api.post('/v1/topups', { ...body, amount: 4_001 }, key), 409, 'IDEMPOTENCY_CONFLICT');
    assert.equal((await topupsOf(m.id)).length, 1);
  });

  test('one key, different bodies at once: one top-up, the rest 409 IDEMPOTENCY_CONFLICT', async () => {
    const m = await addUser(dist.api, 'retailer');
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        m.api.post('/v1/topups', { method: 'bank_transfer', amount: 1_000 + i, utr: utr() }, key),
      ),
    );
    assert.equal(replies.filter((r) => r.status === 202).length, 1, JSON.stringify(replies.map((r) => r.body)));
    for (const r of replies.filter((x) => x.status !== 202)) expectError(r, 409, 'IDEMPOTENCY_CONFLICT');
    assert.equal((await topupsOf(m.id)).length, 1);
  });

  test('one UTR under different keys at once: one top-up, the rest 409 CONFLICT', async () => {
    const m = await addUser(dist.api, 'retailer');
    const ref = utr();
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => m.api.post('/v1/topups', { method: 'bank_transfer', amount: 2_500, utr: ref })),
    );
    assert.equal(replies.filter((r) => r.status === 202).length, 1, JSON.stringify(replies.map((r) => r.body)));
    for (const r of replies.filter((x) => x.status !== 202)) expectError(r, 409, 'CONFLICT');
    assert.deepEqual(
      (await topupsOf(m.id)).map((t: { utr: string }) => t.utr),
      [ref.toUpperCase()],
    );
  });

  test('a gateway order requested twice at once is one order with one payment link', async () => {
    const m = await addUser(dist.api, 'retailer');
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => m.api.post('/v1/topups', { method: 'gateway', amount: 6_000 }, key)),
    );
    assert.ok(
      replies.every((r) => r.status === 202),
      JSON.stringify(replies.map((r) => r.body)),
    );
    assert.equal(new Set(replies.map((r) => r.body.paymentUrl)).size, 1);
    assert.ok(replies[0]!.body.paymentUrl);
    assert.equal((await topupsOf(m.id)).length, 1);
  });
});

describe('approving with an Idempotency-Key', () => {
  const request = async (m: Member, amount: number) => {
    const t = await m.api.post('/v1/topups', { method: 'bank_transfer', amount, utr: utr() });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    return t.body.id as string;
  };

  test('a repeat gets the first 200; another note is 409 IDEMPOTENCY_CONFLICT; no key is a plain 409', async () => {
    const m = await addUser(dist.api, 'retailer');
    const id = await request(m, 3_300);
    const key = randomUUID();
    const first = await dist.api.post(`/v1/topups/${id}/approve`, { note: 'seen' }, key);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await dist.api.post(`/v1/topups/${id}/approve`, { note: 'seen' }, key);
    assert.deepEqual([again.status, again.body], [200, first.body]);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    expectError(await dist.api.post(`/v1/topups/${id}/approve`, { note: 'other' }, key), 409, 'IDEMPOTENCY_CONFLICT');
    expectError(await dist.api.post(`/v1/topups/${id}/approve`, { note: 'seen' }, false), 409, 'CONFLICT');
    expectError(
      await dist.api.post(`/v1/topups/${id}/approve`, { note: 'seen' }, 'k'.repeat(129)),
      400,
      'VALIDATION_FAILED',
    );
    assert.equal(await balanceOf(admin, m.id), 3_300);
  });

  test('concurrent decisions by the upline and the admin: exactly one takes effect, the others are 409', async () => {
    for (let round = 0; round < 3; round++) {
      const m = await addUser(dist.api, 'retailer');
      const id = await request(m, 2_000 + round);
      const [d0, f0] = [await balanceOf(admin, dist.id), (await ledger.balance(systemAccounts.platformFloat)).posted];
      const attempts: Array<Promise<Reply>> = [
        admin.post(`/v1/topups/${id}/approve`, {}),
        dist.api.post(`/v1/topups/${id}/approve`, {}),
        dist.api.post(`/v1/topups/${id}/approve`, {}, false),
        admin.post(`/v1/topups/${id}/reject`, {}, false),
        dist.api.post(`/v1/topups/${id}/reject`, {}),
      ];
      const replies = await Promise.all(attempts);
      const won = replies.filter((r) => r.status === 200);
      assert.equal(won.length, 1, JSON.stringify(replies.map((r) => [r.status, r.body])));
      for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 409, 'CONFLICT');
      const final = won[0]!.body;
      assert.equal((await admin.get(`/v1/topups/${id}`)).body.status, final.status);
      const transfers = await db('ledger_transfers')
        .where({ reference: `topup:${id}` })
        .select('debit_account_id');
      const [dNow, fNow] = [
        await balanceOf(admin, dist.id),
        (await ledger.balance(systemAccounts.platformFloat)).posted,
      ];
      if (final.status === 'rejected') {
        assert.deepEqual([transfers.length, await balanceOf(admin, m.id), dNow, fNow], [0, 0, d0, f0]);
      } else {
        assert.equal(transfers.length, 1);
        assert.equal(await balanceOf(admin, m.id), 2_000 + round);
        const byAdmin = transfers[0].debit_account_id === systemAccounts.platformFloat;
        assert.equal(transfers[0].debit_account_id, byAdmin ? systemAccounts.platformFloat : walletAccountId(dist.id));
        assert.deepEqual([dNow, fNow], byAdmin ? [d0, f0 + BigInt(2_000 + round)] : [d0 - 2_000 - round, f0]);
      }
    }
  });
});
