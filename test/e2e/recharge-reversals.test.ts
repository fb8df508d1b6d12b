import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { rechargeTransferIds as ids } from '../../src/recharges/types';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer, type Network } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { addUser } from '../support/people';
import { ProviderCallbacks, type ProviderStatus } from '../support/provider-callbacks';
import { startStack, type TestStack } from '../support/stack';

// Provider answers that arrive late, from the wrong provider, twice, or after a dispute, and a
// reversal whose uplines have spent their commission: each case once cost money (issue 10).
// 9000000007 stays pending at the simulator with no callback, so the test plays the provider:
// it scripts what the provider's status check answers and sends the provider's signed callbacks.

type RechargeBody = {
  id: string;
  workflowId: string;
  status: string;
  provider: string | null;
  timeline: Array<{ status: string; note: string | null }>;
};

const PENDING_FOREVER = '9000000007';
const RETAILER_CAP = 200_000;

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let callbacks: ProviderCallbacks;
let temporal: Client;
let connection: Connection;

before(async () => {
  stack = await startStack({
    env: {
      RECHARGE_MAX_PENDING_SECONDS: '600',
      RECHARGE_POLL_SCHEDULE_SECONDS: '600',
      KYC_CAPS_BY_ROLE: JSON.stringify({ retailer: { none: RETAILER_CAP } }),
    },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  callbacks = await ProviderCallbacks.load(db, stack.api.url, stack.config.providers.credentials);
  connection = await Connection.connect({ address: stack.config.temporal.address });
  temporal = new Client({ connection, namespace: stack.config.temporal.namespace });
});

after(async () => {
  const report = await new Ledger(db).verify();
  await connection.close();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

async function pendingRecharge(n: Network): Promise<RechargeBody> {
  const r = await n.retailer.call<RechargeBody>(
    'POST',
    '/v1/recharges?waitMs=0',
    { operator: 'JIO', subscriber: PENDING_FOREVER, amount: 10_000 },
    { 'Idempotency-Key': randomUUID() },
  );
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return statusOf(n, r.body.id, 'pending');
}

function statusOf(n: Network, id: string, status: string): Promise<RechargeBody> {
  return eventually(
    async () => (await n.retailer.get<RechargeBody>(`/v1/recharges/${id}`)).body,
    (r) => r.status === status,
  );
}

/** What the provider's status check answers from now on. */
async function providerSays(provider: string, clientRef: string, status: ProviderStatus): Promise<void> {
  const res = await fetch(`${stack.sims.urls.operator}/control/transactions/${clientRef}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ provider, status }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** The provider's answer, as its status check and as a signed callback. */
async function providerAnswers(provider: string, clientRef: string, status: ProviderStatus) {
  await providerSays(provider, clientRef, status);
  const reply = await callbacks.send(provider, { clientRef, status, operatorRef: `OP${clientRef.slice(-6)}` });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return (reply.body as { result: string }).result;
}

/** A recharge by `n`'s retailer that alpha delivered: ₹1,000 → ₹903, distributor ₹0.50. */
async function deliveredRecharge(n: Network): Promise<RechargeBody> {
  const r = await pendingRecharge(n);
  assert.equal(r.provider, 'alpha');
  await providerAnswers('alpha', r.id, 'SUCCESS');
  await statusOf(n, r.id, 'success');
  await expectWallet(n, 90_300);
  assert.equal((await balanceOf(n.dist, n.distId)).balance, 50);
  return r;
}

async function refundsOf(rechargeId: string): Promise<number> {
  const row = (await db('ledger_transfers')
    .where({ id: ids.reversal(ids.capture(rechargeId)) })
    .count<{ count: string }[]>('* as count')
    .first())!;
  return Number(row.count);
}

describe('provider answers count only from the provider holding the recharge', () => {
  test("beta's signed reversal of a recharge alpha delivered is ignored: no refund", async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    const reply = await callbacks.send('beta', { clientRef: r.id, status: 'REVERSED' });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal((reply.body as { result: string }).result, 'ignored');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await n.retailer.get<RechargeBody>(`/v1/recharges/${r.id}`)).body.status, 'success');
    await expectWallet(n, 90_300);
    assert.equal(await refundsOf(r.id), 0);
  });

  test("the holder's reversal callback moves no money until its own status check confirms it", async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    // A reversal callback the provider's own records do not bear out (its status still says success).
    const reply = await callbacks.send('alpha', { clientRef: r.id, status: 'REVERSED' });
    assert.equal((reply.body as { result: string }).result, 'reversal_requested');
    const noted = await eventually(
      async () => (await n.retailer.get<RechargeBody>(`/v1/recharges/${r.id}`)).body,
      (b) => b.timeline.some((e) => /not upheld/.test(e.note ?? '')),
    );
    assert.equal(noted.status, 'success');
    await expectWallet(n, 90_300);
    assert.equal(await refundsOf(r.id), 0);
  });
});

describe('every final answer from the holder is acted on, in order, exactly once', () => {
  test('a not-upheld dispute does not swallow the later genuine reversal', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    const d = await n.retailer.post<RechargeBody>(`/v1/recharges/${r.id}/dispute`, { reason: 'no credit' }, false);
    assert.equal(d.status, 202, JSON.stringify(d.body));
    await eventually(
      async () => (await n.retailer.get<RechargeBody>(`/v1/recharges/${r.id}`)).body,
      (b) => b.timeline.some((e) => /not upheld/.test(e.note ?? '')),
    );
    assert.equal(await providerAnswers('alpha', r.id, 'REVERSED'), 'reversal_requested');
    await statusOf(n, r.id, 'reversed');
    await expectWallet(n, 100_000);
    assert.equal((await balanceOf(n.dist, n.distId)).balance, 0);
    // Repeats of the reversal, and another dispute, refund nothing more.
    await callbacks.send('alpha', { clientRef: r.id, status: 'REVERSED' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectWallet(n, 100_000);
    assert.equal(await refundsOf(r.id), 1);
    recordHistory(`reversal-${r.id}`, 'reversal-after-dispute-not-upheld');
  });

  test('success then reversed while the recharge workflow is still running ends reversed, refunded', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await pendingRecharge(n);
    await providerSays('alpha', r.id, 'REVERSED');
    // Back to back: the reversal reaches the workflow while it settles the success.
    const success = await callbacks.send('alpha', { clientRef: r.id, status: 'SUCCESS', operatorRef: 'OP1' });
    const reversal = await callbacks.send('alpha', { clientRef: r.id, status: 'REVERSED' });
    assert.equal((success.body as { result: string }).result, 'forwarded');
    assert.ok(
      ['forwarded', 'reversal_requested'].includes((reversal.body as { result: string }).result),
      JSON.stringify(reversal.body),
    );
    const done = await statusOf(n, r.id, 'reversed');
    assert.deepEqual(
      done.timeline.map((e) => e.status),
      ['received', 'processing', 'pending', 'success', 'reversed'],
    );
    await expectWallet(n, 100_000);
    assert.equal(await refundsOf(r.id), 1);
    recordHistory(r.workflowId, 'recharge-success-then-reversed');
  });
});

describe("a retailer's refund never waits on anyone else's balance", () => {
  test('an upline that spent its commission owes it as a due, collected from its next credit', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    // The distributor spends its ₹0.50 commission before the reversal.
    const other = await addUser(n.dist, 'retailer');
    const spent = await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: other.id, amount: 50 });
    assert.equal(spent.status, 201, JSON.stringify(spent.body));

    await providerAnswers('alpha', r.id, 'REVERSED');
    await statusOf(n, r.id, 'reversed');
    await expectWallet(n, 100_000);
    const owing = await balanceOf(n.dist, n.distId);
    assert.deepEqual([owing.balance, owing.dues], [0, 50]);
    const stuck = await admin.get<{ dues: { items: Array<{ userId: string; owedPaise: number }> } }>('/v1/ops/stuck');
    assert.ok(
      stuck.body.dues.items.some((d) => d.userId === n.distId && d.owedPaise === 50),
      JSON.stringify(stuck.body.dues),
    );

    // Its next credit (pulling ₹10 back from its retailer) pays the due first.
    const credit = await n.dist.post('/v1/transfers', { fromUserId: n.retailerId, toUserId: n.distId, amount: 1_000 });
    assert.equal(credit.status, 201, JSON.stringify(credit.body));
    const paid = await balanceOf(n.dist, n.distId);
    assert.deepEqual([paid.balance, paid.dues], [950, 0]);
    const statement = await n.dist.get<{ items: Array<{ kind: string; amount: number }> }>(
      `/v1/wallets/${n.distId}/statement`,
    );
    assert.ok(statement.body.items.some((i) => i.kind === 'due_collected' && i.amount === 50));
  });

  test("an approved top-up pays the upline's due before anything else", async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    const other = await addUser(n.dist, 'retailer');
    assert.equal(
      (await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: other.id, amount: 50 })).status,
      201,
    );
    await providerAnswers('alpha', r.id, 'REVERSED');
    await statusOf(n, r.id, 'reversed');
    assert.equal((await balanceOf(n.dist, n.distId)).dues, 50);
    const t = await n.dist.post('/v1/topups', {
      method: 'bank_transfer',
      amount: 2_000,
      utr: `UTR${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    assert.equal((await admin.post(`/v1/topups/${t.body.id as string}/approve`, {}, false)).status, 200);
    const paid = await eventually(
      () => balanceOf(n.dist, n.distId),
      (w) => w.balance > 0,
    );
    assert.deepEqual([paid.balance, paid.dues], [1_950, 0]);
  });

  test('a retailer at its KYC balance cap is refunded above the cap (caps limit loads, not refunds)', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await deliveredRecharge(n);
    // Fill the retailer's wallet to its cap exactly.
    const topUp = RETAILER_CAP - 90_300;
    const t = await n.dist.post('/v1/topups', {
      method: 'bank_transfer',
      amount: topUp,
      utr: `UTR${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    assert.equal((await admin.post(`/v1/topups/${t.body.id as string}/approve`, {}, false)).status, 200);
    const x = await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: n.retailerId, amount: topUp });
    assert.equal(x.status, 201, JSON.stringify(x.body));
    await expectWallet(n, RETAILER_CAP);

    await providerAnswers('alpha', r.id, 'REVERSED');
    await statusOf(n, r.id, 'reversed');
    await expectWallet(n, RETAILER_CAP + 10_000 - 300);
    // A load is still refused at the cap.
    const more = await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: n.retailerId, amount: 1 });
    assert.equal(more.status, 422, JSON.stringify(more.body));
  });
});

describe('signals to a recharge whose workflow has closed', () => {
  test('resolve and dispute answer 409 and change nothing', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await pendingRecharge(n);
    await temporal.workflow.getHandle(r.workflowId).terminate('test: the workflow is gone');
    const resolve = await admin.post(
      `/v1/ops/recharges/${r.id}/resolve`,
      { outcome: 'success', note: 'by hand' },
      false,
    );
    assert.equal(resolve.status, 409, JSON.stringify(resolve.body));
    const dispute = await n.retailer.post(`/v1/recharges/${r.id}/dispute`, { reason: 'where is it' }, false);
    assert.equal(dispute.status, 409, JSON.stringify(dispute.body));
    assert.equal((await n.retailer.get<RechargeBody>(`/v1/recharges/${r.id}`)).body.status, 'pending');
    await expectWallet(n, 100_000, 10_000);
    // Release the hold the terminated workflow left, so the run ends with clean books.
    await new Ledger(db).createTransfer({ id: `${ids.hold(r.id)}:test-void`, void: true, pendingId: ids.hold(r.id) });
  });
});
