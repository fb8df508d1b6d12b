import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { startStack, type TestStack } from '../support/stack';

type RechargeBody = {
  id: string;
  workflowId: string;
  status: string;
  provider: string | null;
  operatorRef: string | null;
  commission: number;
  failureReason: string | null;
  timeline: Array<{ status: string; note: string | null }>;
};

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack({
    env: {
      RECHARGE_MAX_PENDING_SECONDS: '4',
      RECHARGE_POLL_SCHEDULE_SECONDS: '1',
      RECHARGE_PROVIDER_TIMEOUT_MS: '1500',
    },
    simulators: {
      operator: { pendingResolveMs: 800, reversalMs: 1000, timeoutResponseMs: 5_000, callbackRetryDelaysMs: [300] },
    },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

async function recharge(api: ApiClient, subscriber: string, amount = 10_000, waitMs = 15_000, key = randomUUID()) {
  return api.call<RechargeBody>(
    'POST',
    `/v1/recharges?waitMs=${waitMs}`,
    { operator: 'JIO', subscriber, amount },
    {
      'Idempotency-Key': key,
    },
  );
}

async function finalOf(api: ApiClient, id: string, status: string) {
  return eventually(
    async () => (await api.get<RechargeBody>(`/v1/recharges/${id}`)).body,
    (r) => r.status === status,
  );
}

async function submissions(clientRef: string) {
  const res = await fetch(`${stack.sims.urls.operator}/control/transactions/${clientRef}`);
  return (await res.json()) as { submissions: number; provider: string; attempts: Array<{ provider: string }> };
}

describe('recharges end to end, every simulator subscriber, balances to the paisa', () => {
  test('₹1,000 wallet, ₹100 recharge, 3% commission: exactly ₹903 afterwards', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9812345678');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'success');
    assert.equal(r.body.commission, 300);
    assert.ok(r.body.operatorRef, 'the operator reference the provider returned');
    await expectWallet(n, 90_300);
    // The distributor earns its 0.5% too.
    assert.equal((await balanceOf(n.dist, n.distId)).balance, 50);
    assert.deepEqual(
      r.body.timeline.map((e) => e.status),
      ['received', 'processing', 'success'],
    );
    recordHistory(r.body.workflowId, 'recharge-success');
  });

  test('9000000001: invalid number, refunded, never tried at another provider', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000001');
    assert.equal(r.body.status, 'failed');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 100_000);
    const s = await submissions(r.body.id);
    assert.deepEqual(
      s.attempts.map((a) => a.provider),
      ['alpha'],
    );
    recordHistory(r.body.workflowId, 'recharge-failed-invalid-number');
  });

  test('9000000002: pending, then a success callback', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000002', 10_000, 0);
    assert.equal(r.status, 202);
    const done = await finalOf(n.retailer, r.body.id, 'success');
    assert.ok(done.timeline.some((e) => e.status === 'pending'));
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
    recordHistory(r.body.workflowId, 'recharge-pending-callback-success');
  });

  test('9000000003: pending, then a failure callback: refunded', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000003', 10_000, 0);
    await finalOf(n.retailer, r.body.id, 'failed');
    await expectWallet(n, 100_000);
  });

  test('9000000004: the submission times out, a status check finds success, submitted once', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000004', 10_000, 0);
    const done = await finalOf(n.retailer, r.body.id, 'success');
    assert.equal(done.provider, 'alpha');
    assert.equal((await submissions(r.body.id)).submissions, 1);
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
    recordHistory(r.body.workflowId, 'recharge-timeout-status-success');
  });

  test('9000000005: success, then a reversal: refund and commission claw-back', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000005');
    assert.equal(r.body.status, 'success');
    await finalOf(n.retailer, r.body.id, 'reversed');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 100_000);
    assert.equal((await balanceOf(n.dist, n.distId)).balance, 0);
    recordHistory(`reversal-${r.body.id}`, 'reversal-provider');
  });

  test('9000000006: the first provider is down, the next one serves it', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000006');
    assert.equal(r.body.status, 'success');
    assert.equal(r.body.provider, 'beta');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
    recordHistory(r.body.workflowId, 'recharge-failover');
  });

  test('9000000007: pending forever goes to manual review with the money held; support resolves it', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000007', 10_000, 0);
    await finalOf(n.retailer, r.body.id, 'manual_review');
    await expectWallet(n, 100_000, 10_000);
    const support = await admin.post(
      '/v1/users',
      { role: 'support', name: 'Support', mobile: `7${String(Date.now()).slice(-9)}` },
      false,
    );
    assert.equal(support.status, 201, JSON.stringify(support.body));
    const key = (await admin.post('/v1/api-keys', { userId: support.body.id, name: 's' }, false)).body.key as string;
    const res = await admin
      .as(key)
      .post(
        `/v1/ops/recharges/${r.body.id}/resolve`,
        { outcome: 'failed', note: 'operator confirms not delivered' },
        false,
      );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as unknown as RechargeBody).status, 'failed');
    await expectWallet(n, 100_000);
    recordHistory(r.body.workflowId, 'recharge-manual-review-resolved');
  });
});

describe('recharges: disputes', () => {
  test('a dispute on a success the provider confirms is not upheld; nothing moves', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9887766554');
    assert.equal(r.body.status, 'success');
    const d = await n.retailer.post<RechargeBody>(
      `/v1/recharges/${r.body.id}/dispute`,
      { reason: 'customer says no credit' },
      false,
    );
    assert.equal(d.status, 202, JSON.stringify(d.body));
    const noted = await eventually(
      async () => (await n.retailer.get<RechargeBody>(`/v1/recharges/${r.body.id}`)).body,
      (b) => b.timeline.some((e) => /not upheld/.test(e.note ?? '')),
    );
    assert.equal(noted.status, 'success');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
  });

  test('a failed recharge cannot be disputed (its amount is already back): 409', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000001');
    assert.equal(r.body.status, 'failed');
    const d = await n.retailer.post(`/v1/recharges/${r.body.id}/dispute`, { reason: 'why' }, false);
    assert.equal(d.status, 409);
    assert.equal((d.body as { error: { code: string } }).error.code, 'CONFLICT');
  });

  test('a dispute on a recharge still pending asks the provider at once', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const r = await recharge(n.retailer, '9000000007', 10_000, 0);
    await finalOf(n.retailer, r.body.id, 'pending');
    const d = await n.retailer.post<RechargeBody>(
      `/v1/recharges/${r.body.id}/dispute`,
      { reason: 'still waiting' },
      false,
    );
    assert.equal(d.status, 202);
    assert.ok(d.body.timeline.some((e) => /disputed by/.test(e.note ?? '')));
  });
});

describe('recharges: duplicates and refusals', () => {
  test('50 concurrent duplicates of one request debit once', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => recharge(n.retailer, '9823456789', 10_000, 15_000, key)),
    );
    const ids = new Set(replies.map((r) => r.body.id));
    assert.equal(ids.size, 1, JSON.stringify(replies.map((r) => [r.status, r.body])));
    for (const r of replies) assert.ok([200, 202].includes(r.status), JSON.stringify(r.body));
    await finalOf(n.retailer, [...ids][0]!, 'success');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
    assert.equal((await submissions([...ids][0]!)).submissions, 1);
  });

  test('insufficient funds: 422 INSUFFICIENT_FUNDS and nothing moves', async () => {
    const n = await fundedRetailer(admin, 5_000);
    const r = await recharge(n.retailer, '9834567890', 10_000);
    assert.equal(r.status, 422);
    assert.equal((r.body as unknown as { error: { code: string } }).error.code, 'INSUFFICIENT_FUNDS');
    const refused = (await db('recharges').where({ user_id: n.retailerId }).first('workflow_id')) as {
      workflow_id: string;
    };
    recordHistory(refused.workflow_id, 'recharge-refused-insufficient-funds');
    await expectWallet(n, 5_000);
  });

  test('an unknown operator or an invalid amount is refused before anything starts', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const unknown = await n.retailer.post('/v1/recharges', {
      operator: 'NOPE',
      subscriber: '9845678901',
      amount: 10_000,
    });
    assert.equal(unknown.status, 422);
    assert.equal((unknown.body as { error: { code: string } }).error.code, 'UNKNOWN_OPERATOR');
    const odd = await n.retailer.post('/v1/recharges', { operator: 'JIO', subscriber: '9845678901', amount: 10_050 });
    assert.equal(odd.status, 422);
    assert.equal((odd.body as { error: { code: string } }).error.code, 'INVALID_AMOUNT');
    const tooBig = await n.retailer.post('/v1/recharges', {
      operator: 'JIO',
      subscriber: '9845678901',
      amount: 1_000_100,
    });
    assert.equal((tooBig.body as { error: { code: string } }).error.code, 'INVALID_AMOUNT');
    const badNumber = await n.retailer.post('/v1/recharges', {
      operator: 'JIO',
      subscriber: '1234567890',
      amount: 10_000,
    });
    assert.equal(badNumber.status, 400);
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 100_000);
  });

  test('the same recharge under a new key within the window is RISK_REJECTED, unless the first failed', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const first = await recharge(n.retailer, '9856789012');
    assert.equal(first.body.status, 'success');
    const again = await recharge(n.retailer, '9856789012');
    assert.equal(again.status, 422);
    const err = (again.body as unknown as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'RISK_REJECTED');
    assert.match(err.message, /duplicate/);
    const failed = await recharge(n.retailer, '9000000001');
    assert.equal(failed.body.status, 'failed');
    const retry = await recharge(n.retailer, '9000000001');
    assert.equal(retry.status, 200, 'a failed recharge may be retried at once');
    assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 90_300);
  });
});

describe('recharges: history search by number', () => {
  test('?subscriber= is an exact match within the caller scope; another network never shows', async () => {
    const a = await fundedRetailer(admin, 100_000);
    const b = await fundedRetailer(admin, 100_000);
    const number = '9867001122';
    const mine = await recharge(a.retailer, number);
    const other = await recharge(a.retailer, '9867001123');
    const theirs = await recharge(b.retailer, number);
    for (const r of [mine, other, theirs]) assert.equal(r.body.status, 'success', JSON.stringify(r.body));
    type Page = { items: RechargeBody[] };
    const ids = (p: Page) => p.items.map((r) => r.id).sort();

    const own = await a.retailer.get<Page>(`/v1/recharges?subscriber=${number}`);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(ids(own.body), [mine.body.id]);
    const upline = await a.dist.get<Page>(`/v1/recharges?subscriber=${number}`);
    assert.deepEqual(ids(upline.body), [mine.body.id]);
    const all = await admin.get<Page>(`/v1/recharges?subscriber=${number}&limit=200`);
    assert.ok(ids(all.body).includes(mine.body.id) && ids(all.body).includes(theirs.body.id));
    assert.ok(!ids(all.body).includes(other.body.id));
    // Naming the other network's retailer does not widen the scope.
    const across = await a.retailer.get(`/v1/recharges?subscriber=${number}&userId=${b.retailerId}`);
    assert.equal(across.status, 404);

    for (const bad of ['98670011', '98670011220', '986700112x', "9867001122' or '1'='1"]) {
      const r = await a.retailer.get(`/v1/recharges?subscriber=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.equal((r.body as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
    }
  });
});
