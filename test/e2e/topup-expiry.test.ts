import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/knex';
import { freePort } from '../../dev/infra/free-port';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { addUser, balanceOf, expectError, utr, waitFor, type Member } from '../support/people';
import { recordHistory } from '../support/histories';
import { startStack, type TestStack } from '../support/stack';

// A stack of its own whose top-ups expire after 2 seconds, and a second one whose payment gateway
// is down (nothing listens at its address) and whose gateway orders may take 8 seconds.
let stack: TestStack;
let deadGateway: TestStack;
let db: Db;
let temporal: Client;
let admin: ApiClient;
let dist: Member;

before(async () => {
  const ttl = { TOPUP_APPROVAL_TTL_SECONDS: '2', TOPUP_PAYMENT_TTL_SECONDS: '2' };
  [stack, deadGateway] = await Promise.all([
    startStack({ env: ttl }),
    freePort().then((port) =>
      startStack({ env: { TOPUP_PAYMENT_TTL_SECONDS: '8', GATEWAY_URL: `http://127.0.0.1:${port}` } }),
    ),
  ]);
  db = testDb();
  temporal = await connectClient(stack.config.temporal);
  admin = new ApiClient(stack.api.url, await adminKey(db));
  dist = await addUser(admin, 'distributor');
});
after(async () => {
  await Promise.all([stack.stop(), deadGateway.stop()]);
  await temporal.connection.close();
  await db.destroy();
});

type Topup = Record<string, unknown> & { id: string; status: string; paymentUrl: string | null };

const settled = (id: string, timeoutMs = 10_000) =>
  waitFor(
    () => admin.get<Topup>(`/v1/topups/${id}`),
    (r) => !['pending_approval', 'awaiting_payment'].includes(r.body.status),
    timeoutMs,
  );
const transfersOf = async (id: string) =>
  db('ledger_transfers')
    .where({ reference: `topup:${id}` })
    .select('id');
const workflowStatus = async (id: string) => (await temporal.workflow.getHandle(`topup-${id}`).describe()).status.name;

// The three wait on the clock, so they run side by side.
describe('top-up deadlines', { concurrency: true }, () => {
  test('an undecided bank-transfer request expires; later decisions are 409 and nothing is credited', async () => {
    const r = await addUser(dist.api, 'retailer');
    const t = await r.api.post<Topup>('/v1/topups', { method: 'bank_transfer', amount: 5_000, utr: utr() });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const started = Date.now();
    const done = await settled(t.body.id);
    assert.ok(Date.now() - started >= 1_000, 'not before its time');
    assert.deepEqual([done.body.status, done.body.note], ['expired', 'no decision in time']);
    assert.equal((await r.api.get<Topup>(`/v1/topups/${t.body.id}`)).body.status, 'expired', 'readable after expiry');
    await waitFor(
      () => workflowStatus(t.body.id),
      (s) => s === 'COMPLETED',
    );

    expectError(await admin.post(`/v1/topups/${t.body.id}/approve`, {}, false), 409, 'CONFLICT');
    expectError(await dist.api.post(`/v1/topups/${t.body.id}/approve`, {}), 409, 'CONFLICT');
    expectError(await dist.api.post(`/v1/topups/${t.body.id}/reject`, {}, false), 409, 'CONFLICT');
    assert.equal(await balanceOf(admin, r.id), 0);
    assert.deepEqual(await transfersOf(t.body.id), []);
    recordHistory(`topup-${t.body.id}`, 'topup-bank-expired');
  });

  test('an unpaid gateway order expires; a payment the gateway captures after the deadline is credited late, once', async () => {
    const r = await addUser(dist.api, 'retailer');
    const t = await r.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 7_500 });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const done = await settled(t.body.id);
    assert.deepEqual([done.body.status, done.body.note], ['expired', 'not paid in time']);
    await waitFor(
      () => workflowStatus(t.body.id),
      (s) => s === 'COMPLETED',
    );
    recordHistory(`topup-${t.body.id}`, 'topup-gateway-expired');

    const late = await fetch(`${t.body.paymentUrl}/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ outcome: 'success' }),
    });
    const paid = (await late.json()) as {
      status: string;
      paymentId: string;
      webhook: { delivered: boolean; httpStatus: number };
    };
    assert.deepEqual([paid.status, paid.webhook.delivered, paid.webhook.httpStatus], ['paid', true, 200]);
    const credited = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.body.id}`),
      (x) => x.body.status === 'completed',
    );
    assert.equal(
      credited.body.note,
      `not paid in time; credited late: payment ${paid.paymentId} was captured after the top-up had expired`,
    );
    assert.equal(await balanceOf(admin, r.id), 7_500);
    assert.equal((await transfersOf(t.body.id)).length, 1);
    await waitFor(
      () => workflowStatus(t.body.id),
      (s) => s === 'COMPLETED',
    );
    recordHistory(`topup-${t.body.id}`, 'topup-gateway-paid-after-expiry');

    const again = await fetch(`${t.body.paymentUrl}/resend-webhook`, { method: 'POST' });
    assert.equal(((await again.json()) as { httpStatus: number }).httpStatus, 200);
    assert.equal(await balanceOf(admin, r.id), 7_500);
    assert.equal((await transfersOf(t.body.id)).length, 1);
  });

  test(
    'with the gateway down, a gateway top-up is answered within seconds and fails at its deadline',
    { timeout: 30_000 },
    async () => {
      const r = await addUser(dist.api, 'retailer');
      const api = new ApiClient(deadGateway.api.url, r.key);
      const started = Date.now();
      const t = await api.post<Topup>('/v1/topups', { method: 'gateway', amount: 3_000 });
      const waited = Date.now() - started;
      assert.equal(t.status, 202, JSON.stringify(t.body));
      assert.ok(waited < 7_000, `answered after ${waited} ms`);
      assert.deepEqual([t.body.status, t.body.paymentUrl], ['awaiting_payment', null]);
      const done = await settled(t.body.id, 15_000);
      assert.ok(Date.now() - started >= 7_000, 'the gateway had the whole payment period');
      assert.deepEqual(
        [done.body.status, done.body.paymentUrl, done.body.failureReason],
        ['failed', null, 'the payment gateway could not be reached'],
      );
      assert.equal(await balanceOf(admin, r.id), 0);
      assert.deepEqual(await transfersOf(t.body.id), []);
    },
  );

  test('a request decided in time stays decided when its deadline passes', async () => {
    const r = await addUser(dist.api, 'retailer');
    const t = await r.api.post<Topup>('/v1/topups', { method: 'bank_transfer', amount: 1_200, utr: utr() });
    const a = await admin.post<Topup>(`/v1/topups/${t.body.id}/approve`, {}, false);
    assert.equal(a.body.status, 'completed', JSON.stringify(a.body));
    await new Promise((ok) => setTimeout(ok, 2_500));
    assert.equal((await admin.get<Topup>(`/v1/topups/${t.body.id}`)).body.status, 'completed');
    assert.equal(await balanceOf(admin, r.id), 1_200);
    assert.equal((await transfersOf(t.body.id)).length, 1);
  });
});
