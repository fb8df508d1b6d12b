import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { freePort } from '../../dev/infra/free-port';
import { Ledger, systemAccounts, walletAccountId } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { startApi } from '../../src/run/api';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey, type Reply } from '../support/api';
import { testDb, uniq } from '../support/db';
import {
  addUser,
  balanceOf,
  expectError,
  fund,
  ghostId,
  utr,
  waitFor,
  type Member,
  buildTree,
} from '../support/people';
import { recordHistory } from '../support/histories';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let ledger: Ledger;
let temporal: Client;
let admin: ApiClient;
let adminId: string;
// The shared test tree (test/support/people.ts buildTree).
let dist: Member;
let ret: Member;
let ret2: Member;
let md: Member;
let mdist: Member;
let mret: Member;
let dist2: Member;
let ret3: Member;
let support: Member;

before(async () => {
  stack = await startStack();
  db = testDb();
  ledger = new Ledger(db);
  temporal = await connectClient(stack.config.temporal);
  admin = new ApiClient(stack.api.url, await adminKey(db));
  adminId = (await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')).id as string;
  ({ dist, ret, ret2, md, mdist, mret, dist2, ret3, support } = await buildTree(admin));
});
after(async () => {
  await stack.stop();
  await temporal.connection.close();
  await ledger.close();
  await db.destroy();
});

type Topup = Record<string, unknown> & { id: string; status: string };

const bankTopup = (m: Member, amount: number, ref = utr()) =>
  m.api.post<Topup>('/v1/topups', { method: 'bank_transfer', amount, utr: ref });
const decide = (api: ApiClient, id: string, action: 'approve' | 'reject', body: object = {}) =>
  api.post<Topup>(`/v1/topups/${id}/${action}`, body, false);
const statusOf = async (id: string) => (await admin.get<Topup>(`/v1/topups/${id}`)).body.status;
const floatPosted = async () => (await ledger.balance(systemAccounts.platformFloat)).posted;
const topupTransfers = async (id: string) =>
  db('ledger_transfers')
    .where({ reference: `topup:${id}` })
    .select('*');
const workflowStatus = async (id: string) => (await temporal.workflow.getHandle(`topup-${id}`).describe()).status.name;

async function created(r: Reply<Topup>): Promise<Topup> {
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
}

describe('bank-transfer top-ups', () => {
  test('a request is 202 pending_approval, runs as workflow topup-<id>, and reads the same at any time', async () => {
    const ref = utr();
    const t = await created(await bankTopup(ret, 25_000, ref));
    const { id, createdAt, updatedAt, ...rest } = t;
    assert.match(id, /^tpu_[0-9a-f]{26}$/);
    assert.ok(!Number.isNaN(Date.parse(createdAt as string)) && !Number.isNaN(Date.parse(updatedAt as string)));
    assert.deepEqual(rest, {
      userId: ret.id,
      amount: 25_000,
      method: 'bank_transfer',
      status: 'pending_approval',
      utr: ref.toUpperCase(),
      paymentUrl: null,
      workflowId: `topup-${id}`,
      decidedBy: null,
      note: null,
      failureReason: null,
    });
    assert.equal(await workflowStatus(id), 'RUNNING');
    for (const api of [ret.api, dist.api, admin, support.api]) {
      const r = await api.get(`/v1/topups/${id}`);
      assert.deepEqual([r.status, r.body], [200, t]);
    }
    const approved = await decide(admin, id, 'approve');
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.deepEqual((await ret.api.get(`/v1/topups/${id}`)).body, approved.body);
    await waitFor(
      () => workflowStatus(id),
      (s) => s === 'COMPLETED',
    );
  });

  test('an admin’s approval credits the wallet from the platform float', async () => {
    const [w0, d0, f0] = [await balanceOf(admin, ret.id), await balanceOf(admin, dist.id), await floatPosted()];
    const t = await created(await bankTopup(ret, 12_345));
    const a = await decide(admin, t.id, 'approve', { note: 'bank statement checked' });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(
      { status: a.body.status, decidedBy: a.body.decidedBy, note: a.body.note },
      { status: 'completed', decidedBy: adminId, note: 'bank statement checked' },
    );
    assert.equal(await balanceOf(admin, ret.id), w0 + 12_345);
    assert.equal(await balanceOf(admin, dist.id), d0, 'the upline pays nothing');
    assert.equal(await floatPosted(), f0 + 12_345n);
    const [tr, ...more] = await topupTransfers(t.id);
    assert.equal(more.length, 0);
    assert.deepEqual(
      [tr.debit_account_id, tr.credit_account_id, tr.amount, tr.kind],
      [systemAccounts.platformFloat, walletAccountId(ret.id), 12_345n, 'topup'],
    );
  });

  test('the direct upline’s approval debits its own wallet', async () => {
    await fund(admin, dist, 200_000);
    const [r0, d0, f0] = [await balanceOf(admin, ret.id), await balanceOf(admin, dist.id), await floatPosted()];
    const t = await created(await bankTopup(ret, 30_000));
    const a = await decide(dist.api, t.id, 'approve');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual([a.body.status, a.body.decidedBy], ['completed', dist.id]);
    assert.equal(await balanceOf(admin, ret.id), r0 + 30_000);
    assert.equal(await balanceOf(admin, dist.id), d0 - 30_000);
    assert.equal(await floatPosted(), f0, 'the platform float is untouched');
    const [tr] = await topupTransfers(t.id);
    assert.deepEqual([tr.debit_account_id, tr.kind], [walletAccountId(dist.id), 'topup_by_upline']);
  });

  test('an upline short of money gets 422 INSUFFICIENT_FUNDS; nothing moves and the request stays open', async () => {
    const d0 = await balanceOf(admin, dist.id);
    const t = await created(await bankTopup(ret2, d0 + 1));
    expectError(await decide(dist.api, t.id, 'approve'), 422, 'INSUFFICIENT_FUNDS');
    assert.equal(await statusOf(t.id), 'pending_approval');
    assert.equal(await balanceOf(admin, dist.id), d0);
    assert.equal(await balanceOf(admin, ret2.id), 0);
    assert.deepEqual(await topupTransfers(t.id), []);
    const a = await decide(admin, t.id, 'approve');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(await balanceOf(admin, ret2.id), d0 + 1);
  });

  test('an approval past the wallet’s balance cap is 422 LIMIT_EXCEEDED; nothing moves and the request stays open', async () => {
    const r = await addUser(dist.api, 'retailer');
    await ledger.setAccountCap(walletAccountId(r.id), 5_000n);
    const f0 = await floatPosted();
    const t = await created(await bankTopup(r, 5_001));
    expectError(await decide(admin, t.id, 'approve'), 422, 'LIMIT_EXCEEDED');
    assert.equal(await statusOf(t.id), 'pending_approval');
    assert.equal(await balanceOf(admin, r.id), 0);
    assert.equal(await floatPosted(), f0);
    assert.deepEqual(await topupTransfers(t.id), []);
    assert.equal((await decide(dist.api, t.id, 'reject')).status, 200);
  });

  test('a rejection moves nothing; a decided request takes no second decision (409 CONFLICT)', async () => {
    const r0 = await balanceOf(admin, ret.id);
    const t = await created(await bankTopup(ret, 5_000));
    const rj = await decide(dist.api, t.id, 'reject', { note: 'no such credit on our statement' });
    assert.equal(rj.status, 200, JSON.stringify(rj.body));
    assert.deepEqual(
      [rj.body.status, rj.body.decidedBy, rj.body.note],
      ['rejected', dist.id, 'no such credit on our statement'],
    );
    for (const [api, action] of [
      [dist.api, 'approve'],
      [admin, 'approve'],
      [dist.api, 'reject'],
    ] as const) {
      expectError(await decide(api, t.id, action), 409, 'CONFLICT');
    }
    assert.equal(await statusOf(t.id), 'rejected');
    assert.equal(await balanceOf(admin, ret.id), r0);
    assert.deepEqual(await topupTransfers(t.id), []);

    const done = await created(await bankTopup(ret, 1_000));
    assert.equal((await decide(admin, done.id, 'approve')).status, 200);
    expectError(await decide(dist.api, done.id, 'reject'), 409, 'CONFLICT');
    expectError(await decide(admin, done.id, 'approve'), 409, 'CONFLICT');
    assert.equal((await topupTransfers(done.id)).length, 1);
    assert.equal(await balanceOf(admin, ret.id), r0 + 1_000);
  });

  test('deciders: 403 for the requester, a non-direct upline and support; 404 outside scope', async () => {
    const t = await created(await bankTopup(mret, 7_000));
    for (const who of [mret, md, support]) {
      for (const action of ['approve', 'reject'] as const) {
        expectError(await decide(who.api, t.id, action), 403, 'FORBIDDEN');
      }
    }
    for (const who of [dist, dist2, ret, ret3]) {
      for (const action of ['approve', 'reject'] as const) {
        expectError(await decide(who.api, t.id, action), 404, 'NOT_FOUND');
      }
    }
    const own = await created(await bankTopup(dist, 1_000));
    expectError(await decide(dist.api, own.id, 'approve'), 403, 'FORBIDDEN');
    expectError(await decide(md.api, own.id, 'approve'), 404, 'NOT_FOUND');
    expectError(await decide(admin, ghostId('tpu'), 'approve'), 404, 'NOT_FOUND');
    expectError(await decide(admin, 'tpu-bad!', 'approve'), 400, 'VALIDATION_FAILED');
    expectError(await decide(mdist.api, t.id, 'approve', { note: 'n'.repeat(501) }), 400, 'VALIDATION_FAILED');
    expectError(await decide(mdist.api, t.id, 'reject', { note: 42 }), 400, 'VALIDATION_FAILED');
    expectError(await decide(new ApiClient(stack.api.url), t.id, 'approve'), 401, 'UNAUTHENTICATED');
    assert.equal(await statusOf(t.id), 'pending_approval');
    assert.equal(await balanceOf(admin, mret.id), 0);
    assert.equal((await decide(admin, own.id, 'reject')).status, 200);
    assert.equal((await decide(mdist.api, t.id, 'reject')).status, 200, 'the direct upline decides');
  });

  test('422 USER_SUSPENDED: a suspended approver decides nothing; a suspended requester is not credited', async () => {
    const r = await addUser(dist.api, 'retailer');
    const t = await created(await bankTopup(r, 2_000));
    await admin.post(`/v1/users/${dist.id}/suspend`, {}, false);
    try {
      expectError(await decide(dist.api, t.id, 'approve'), 422, 'USER_SUSPENDED');
      expectError(await decide(dist.api, t.id, 'reject'), 422, 'USER_SUSPENDED');
    } finally {
      await admin.post(`/v1/users/${dist.id}/activate`, {}, false);
    }
    assert.equal(await statusOf(t.id), 'pending_approval');

    await dist.api.post(`/v1/users/${r.id}/suspend`, {}, false);
    expectError(await decide(admin, t.id, 'approve'), 422, 'USER_SUSPENDED');
    expectError(await decide(dist.api, t.id, 'approve'), 422, 'USER_SUSPENDED');
    expectError(await bankTopup(r, 1_000), 422, 'USER_SUSPENDED');
    expectError(await r.api.post('/v1/topups', { method: 'gateway', amount: 1_000 }), 422, 'USER_SUSPENDED');
    assert.equal((await decide(dist.api, t.id, 'reject')).status, 200, 'a rejection moves no money');
    assert.equal(await balanceOf(admin, r.id), 0);
    assert.deepEqual(await topupTransfers(t.id), []);
    assert.equal(Number((await db('topups').where({ user_id: r.id }).count('* as n'))[0]!.n), 1);
  });

  test('a UTR is claimed once across the platform: 409 CONFLICT for anyone else, in any case, even after a rejection', async () => {
    const ref = utr();
    const first = await created(await bankTopup(ret, 3_000, ref));
    for (const [who, quoted] of [
      [ret, ref],
      [ret, ref.toLowerCase()],
      [ret, ` ${ref} `],
      [ret2, ref],
      [dist, ref.toLowerCase()],
      [mret, ref],
    ] as const) {
      expectError(await bankTopup(who, 9_999, quoted), 409, 'CONFLICT');
    }
    assert.equal((await decide(dist.api, first.id, 'reject')).status, 200);
    expectError(await bankTopup(ret2, 3_000, ref), 409, 'CONFLICT');
    const rows = await db('topups').whereRaw('upper(utr) = ?', [ref.toUpperCase()]).select('id');
    assert.deepEqual(
      rows.map((r: { id: string }) => r.id),
      [first.id],
    );
  });

  test('a claim the UTR migration found to repeat an earlier one cannot be approved by anyone', async () => {
    const [a, b] = [await addUser(dist.api, 'retailer'), await addUser(dist.api, 'retailer')];
    const earlier = await created(await bankTopup(a, 2_000));
    const later = await created(await bankTopup(b, 2_000));
    await db('topups').where({ id: later.id }).update({ utr_duplicate_of: earlier.id });
    const f0 = await floatPosted();
    expectError(await decide(admin, later.id, 'approve'), 409, 'CONFLICT');
    expectError(await decide(dist.api, later.id, 'approve'), 409, 'CONFLICT');
    await db('topups')
      .where({ id: later.id })
      .update({
        created_at: db.raw('now() - make_interval(secs => ?)', [stack.config.ops.stuckTopupAfterSeconds + 60]),
      });
    expectError(
      await support.api.post(`/v1/ops/topups/${later.id}/approve`, { note: 'statement checked' }, false),
      409,
      'CONFLICT',
    );
    assert.equal(await statusOf(later.id), 'pending_approval');
    assert.deepEqual([await balanceOf(admin, b.id), await floatPosted()], [0, f0]);
    assert.deepEqual(await topupTransfers(later.id), []);
    assert.equal((await decide(dist.api, later.id, 'reject')).status, 200, 'it can still be rejected');
    assert.equal((await decide(admin, earlier.id, 'approve')).status, 200, 'the first claim is approved as usual');
  });

  test('400 for bad requests, 401, 403 for support — and none of them creates anything', async () => {
    const count = async () => Number((await db('topups').count('* as n'))[0]!.n);
    const n = await count();
    const bodies: object[] = [
      {},
      { method: 'bank_transfer', amount: 1_000 },
      { method: 'bank_transfer', amount: 1_000, utr: 'ABC12' },
      { method: 'bank_transfer', amount: 1_000, utr: 'ABC 123456' },
      { method: 'bank_transfer', amount: 1_000, utr: 'A'.repeat(33) },
      { method: 'bank_transfer', amount: 0, utr: utr() },
      { method: 'bank_transfer', amount: -5, utr: utr() },
      { method: 'bank_transfer', amount: 99.5, utr: utr() },
      { method: 'gateway', amount: '100' },
      { method: 'cash', amount: 1_000 },
      { amount: 1_000 },
    ];
    for (const body of bodies) expectError(await ret.api.post('/v1/topups', body), 400, 'VALIDATION_FAILED');
    expectError(await ret.api.post('/v1/topups', { method: 'gateway', amount: 100 }, false), 400, 'VALIDATION_FAILED');
    expectError(
      await new ApiClient(stack.api.url).post('/v1/topups', { method: 'gateway', amount: 100 }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await support.api.post('/v1/topups', { method: 'bank_transfer', amount: 100, utr: utr() }),
      403,
      'FORBIDDEN',
    );
    expectError(await support.api.post('/v1/topups', { method: 'gateway', amount: 100 }), 403, 'FORBIDDEN');
    assert.equal(await count(), n);
  });

  test('GET /v1/topups/:id: 404 outside scope (same as missing), 400 malformed, 401', async () => {
    const t = await created(await bankTopup(ret, 1_500));
    const ghost = await admin.get(`/v1/topups/${ghostId('tpu')}`);
    expectError(ghost, 404, 'NOT_FOUND');
    for (const who of [ret2, dist2, ret3, md, mdist, mret]) {
      const r = await who.api.get(`/v1/topups/${t.id}`);
      assert.deepEqual([r.status, r.body], [404, ghost.body], who.role);
    }
    expectError(await admin.get('/v1/topups/x%20y'), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get(`/v1/topups/${t.id}`), 401, 'UNAUTHENTICATED');
    assert.equal((await decide(dist.api, t.id, 'reject')).status, 200);
  });

  test('GET /v1/topups lists the caller’s scope, filters by status and pages by cursor', async () => {
    type Page = { items: Topup[]; nextCursor: string | null };
    const mine = await created(await bankTopup(ret3, 1_100));
    const all = async (api: ApiClient, q = '') => {
      const items: Topup[] = [];
      let cursor: string | null = null;
      do {
        const r: Reply<Page> = await api.get<Page>(`/v1/topups?limit=2${q}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        items.push(...r.body.items);
        cursor = r.body.nextCursor;
      } while (cursor);
      return items;
    };
    const distView = await all(dist.api);
    const ids = distView.map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, 'no page repeats an item');
    const distPath = ((await db('users').where({ id: dist.id }).first('path')) as { path: string }).path;
    const expected = await db('topups as t')
      .join('users as u', 'u.id', 't.user_id')
      .where((w) => w.where('u.path', distPath).orWhere('u.path', 'like', `${distPath}/%`))
      .orderBy([{ column: 't.created_at' }, { column: 't.id' }])
      .pluck('t.id');
    assert.ok(expected.length > 5);
    assert.deepEqual(ids, expected);
    assert.ok(!ids.includes(mine.id));
    assert.deepEqual(
      (await all(ret3.api)).map((t) => t.id),
      [mine.id],
    );
    assert.ok((await all(support.api)).some((t) => t.id === mine.id));
    const pending = await all(dist2.api, '&status=pending_approval');
    assert.deepEqual(
      pending.map((t) => t.id),
      [mine.id],
    );
    expectError(await dist.api.get('/v1/topups?status=done'), 400, 'VALIDATION_FAILED');
    expectError(await dist.api.get('/v1/topups?cursor=%25%25'), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get('/v1/topups'), 401, 'UNAUTHENTICATED');
  });
});

const signWith = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

async function postWebhook(body: string, signature?: string) {
  const res = await fetch(`${stack.api.url}/v1/webhooks/gateway`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Signature': signature } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function payAtGateway(paymentUrl: string, outcome: 'success' | 'failure') {
  const res = await fetch(`${paymentUrl}/complete`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as {
    status: string;
    paymentId: string;
    webhook: { delivered: boolean; httpStatus?: number };
  };
}

async function resend(paymentUrl: string) {
  const res = await fetch(`${paymentUrl}/resend-webhook`, { method: 'POST' });
  assert.equal(res.status, 200);
  return (await res.json()) as { delivered: boolean; httpStatus?: number };
}

const orderIdOf = async (id: string) =>
  ((await db('topups').where({ id }).first('order_id')) as { order_id: string }).order_id;

/** A webhook as the gateway signs it: for payments the simulator cannot make (a second capture). */
function signedWebhook(event: { event: string; orderId: string; amount: number; paymentId: string }) {
  const body = JSON.stringify(event);
  return postWebhook(body, signWith(stack.config.providers.gatewayWebhookSecret, body));
}

const paymentsOf = async (topupId: string) =>
  db('topup_gateway_payments')
    .where({ topup_id: topupId })
    .orderBy('received_at')
    .select('payment_id', 'outcome', 'amount', 'action', 'detail');

/** The operations alert about a payment to refund. */
async function alertAbout(paymentId: string): Promise<{ subject: string; text: string }> {
  const mails = await waitFor(
    async () =>
      (
        (await (
          await fetch(`${stack.sims.urls.mailHttp}/messages?to=${stack.config.notify.opsAlertEmail}`)
        ).json()) as { items: Array<{ subject: string; text: string }> }
      ).items.filter((m) => m.subject.includes(paymentId)),
    (items) => items.length > 0,
  );
  assert.equal(mails.length, 1, 'one alert per payment');
  return mails[0]!;
}

describe('gateway top-ups', () => {
  test('202 awaiting_payment with the gateway’s paymentUrl; GET reads it', async () => {
    const t = await created(await ret.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 40_000 }));
    assert.equal(t.status, 'awaiting_payment');
    assert.equal(t.method, 'gateway');
    assert.equal(t.utr, null);
    assert.equal(t.workflowId, `topup-${t.id}`);
    assert.ok((t.paymentUrl as string).startsWith(`${stack.sims.urls.gateway}/pay/`), t.paymentUrl as string);
    assert.deepEqual((await ret.api.get(`/v1/topups/${t.id}`)).body, t);
    expectError(await decide(dist.api, t.id, 'approve'), 409, 'CONFLICT');
    expectError(await decide(admin, t.id, 'reject'), 409, 'CONFLICT');
    assert.equal(await statusOf(t.id), 'awaiting_payment');
  });

  test('a forged webhook is 401 and changes nothing; the genuine one credits from the float; replays are harmless', async () => {
    const t = await created(await ret.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 40_000 }));
    const orderId = await orderIdOf(t.id);
    const [r0, f0] = [await balanceOf(admin, ret.id), await floatPosted()];
    const forged = JSON.stringify({
      event: 'payment.succeeded',
      orderId,
      reference: t.id,
      amount: 40_000,
      paymentId: 'pay_forged',
      status: 'paid',
      at: new Date().toISOString(),
    });
    const secret = stack.config.providers.gatewayWebhookSecret;
    for (const signature of [
      undefined,
      '',
      signWith('not-the-gateway-secret', forged),
      signWith(secret, forged.replace('40000', '40001')),
      signWith(secret, forged).slice(0, 63),
      'zz'.repeat(32),
    ]) {
      expectError(await postWebhook(forged, signature), 401, 'UNAUTHENTICATED');
    }
    assert.equal(await statusOf(t.id), 'awaiting_payment');
    assert.equal(await balanceOf(admin, ret.id), r0);

    const paid = await payAtGateway(t.paymentUrl as string, 'success');
    assert.deepEqual([paid.status, paid.webhook.delivered, paid.webhook.httpStatus], ['paid', true, 200]);
    const done = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (r) => r.body.status !== 'awaiting_payment',
    );
    assert.deepEqual([done.body.status, done.body.decidedBy, done.body.failureReason], ['completed', null, null]);
    assert.equal(await balanceOf(admin, ret.id), r0 + 40_000);
    assert.equal(await floatPosted(), f0 + 40_000n);

    // The genuine webhook again, byte for byte, once and then five at a time.
    const again = await resend(t.paymentUrl as string);
    assert.deepEqual([again.delivered, again.httpStatus], [true, 200]);
    const burst = await Promise.all(Array.from({ length: 5 }, () => resend(t.paymentUrl as string)));
    assert.ok(
      burst.every((d) => d.delivered && d.httpStatus === 200),
      JSON.stringify(burst),
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await balanceOf(admin, ret.id), r0 + 40_000);
    assert.equal(await floatPosted(), f0 + 40_000n);
    assert.equal((await topupTransfers(t.id)).length, 1);
    assert.equal(await statusOf(t.id), 'completed');
  });

  test('a failed payment fails the top-up and moves nothing', async () => {
    const t = await created(await ret.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 8_000 }));
    const r0 = await balanceOf(admin, ret.id);
    assert.equal((await payAtGateway(t.paymentUrl as string, 'failure')).webhook.httpStatus, 200);
    const done = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (r) => r.body.status !== 'awaiting_payment',
    );
    assert.deepEqual([done.body.status, done.body.failureReason], ['failed', 'payment failed at the gateway']);
    assert.equal((await resend(t.paymentUrl as string)).httpStatus, 200);
    assert.equal(await balanceOf(admin, ret.id), r0);
    assert.deepEqual(await topupTransfers(t.id), []);
  });

  test('a signed webhook for another amount fails the top-up as a refund due (alerted); the real payment afterwards is credited late', async () => {
    const t = await created(await ret.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 9_000 }));
    const r0 = await balanceOf(admin, ret.id);
    const short = uniq('pay_short');
    const hook = await signedWebhook({
      event: 'payment.succeeded',
      orderId: await orderIdOf(t.id),
      amount: 900,
      paymentId: short,
    });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    const done = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (r) => r.body.status !== 'awaiting_payment',
    );
    assert.deepEqual(
      [done.body.status, done.body.failureReason],
      ['failed', 'paid amount differs from the order amount; refund at the gateway'],
    );
    assert.deepEqual(await paymentsOf(t.id), [
      { payment_id: short, outcome: 'success', amount: 900n, action: 'refund_due', detail: done.body.failureReason },
    ]);
    assert.match((await alertAbout(short)).subject, new RegExp(`refund gateway payment ${short}`));
    assert.equal(await balanceOf(admin, ret.id), r0);
    assert.deepEqual(await topupTransfers(t.id), []);

    const paid = await payAtGateway(t.paymentUrl as string, 'success');
    assert.equal(paid.webhook.httpStatus, 200);
    const late = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (r) => r.body.status === 'completed',
    );
    assert.equal(late.body.failureReason, null);
    assert.match(
      late.body.note as string,
      new RegExp(`credited late: payment ${paid.paymentId} .* after the top-up had failed`),
    );
    assert.equal(await balanceOf(admin, ret.id), r0 + 9_000);
    assert.equal((await topupTransfers(t.id)).length, 1);
  });

  test('a payment the wallet cannot take (over its cap) fails the top-up with a refund note and moves nothing', async () => {
    const r = await addUser(dist.api, 'retailer');
    await ledger.setAccountCap(walletAccountId(r.id), 5_000n);
    const f0 = await floatPosted();
    const t = await created(await r.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 6_000 }));
    assert.equal((await payAtGateway(t.paymentUrl as string, 'success')).webhook.httpStatus, 200);
    const done = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (x) => x.body.status !== 'awaiting_payment',
    );
    assert.equal(done.body.status, 'failed');
    assert.match(done.body.failureReason as string, /LIMIT_EXCEEDED.*refund at the gateway/);
    const [payment, ...more] = await paymentsOf(t.id);
    assert.equal(more.length, 0);
    assert.deepEqual([payment!.action, payment!.detail], ['refund_due', done.body.failureReason]);
    await alertAbout(payment!.payment_id);
    assert.equal(await balanceOf(admin, r.id), 0);
    assert.equal(await floatPosted(), f0);
    assert.deepEqual(await topupTransfers(t.id), []);
  });

  test('signed webhooks for unknown orders are 404; malformed ones 400', async () => {
    const secret = stack.config.providers.gatewayWebhookSecret;
    const unknown = JSON.stringify({
      event: 'payment.succeeded',
      orderId: 'order_nope',
      amount: 100,
      paymentId: 'pay_1',
    });
    expectError(await postWebhook(unknown, signWith(secret, unknown)), 404, 'NOT_FOUND');
    for (const bad of [
      '{}',
      JSON.stringify({ event: 'payment.refunded', orderId: 'o', amount: 100, paymentId: 'p' }),
      JSON.stringify({ event: 'payment.succeeded', orderId: 'o', amount: -1, paymentId: 'p' }),
      '{"event":',
    ]) {
      expectError(await postWebhook(bad, signWith(secret, bad)), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('gateway payments that come late are credited once, never dropped', () => {
  test('a success after payment.failed, once its workflow has closed, is credited once and ends completed', async () => {
    const r = await addUser(dist.api, 'retailer');
    const f0 = await floatPosted();
    const t = await created(await r.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 8_000 }));
    const failed = await payAtGateway(t.paymentUrl as string, 'failure');
    await waitFor(
      () => workflowStatus(t.id),
      (s) => s === 'COMPLETED',
    );
    assert.equal(await statusOf(t.id), 'failed');

    const orderId = await orderIdOf(t.id);
    const captured = uniq('pay_retry');
    const success = { event: 'payment.succeeded', orderId, amount: 8_000, paymentId: captured };
    const hook = await signedWebhook(success);
    assert.deepEqual([hook.status, hook.body.result], [200, 'forwarded']);
    const done = await waitFor(
      () => admin.get<Topup>(`/v1/topups/${t.id}`),
      (x) => x.body.status === 'completed',
    );
    assert.equal(done.body.failureReason, null);
    assert.match(
      done.body.note as string,
      new RegExp(`^credited late: payment ${captured} was captured after the top-up had failed$`),
    );
    assert.equal(await balanceOf(admin, r.id), 8_000);
    assert.equal(await floatPosted(), f0 + 8_000n);
    const [tr, ...more] = await topupTransfers(t.id);
    assert.equal(more.length, 0);
    assert.deepEqual(
      [tr.debit_account_id, tr.credit_account_id, tr.amount, tr.metadata],
      [systemAccounts.platformFloat, walletAccountId(r.id), 8_000n, { orderId, paymentId: captured }],
    );
    recordHistory(`topup-${t.id}`, 'topup-gateway-paid-after-failure');

    // The same capture again, and at once: acknowledged, nothing moves twice.
    const again = await Promise.all(Array.from({ length: 4 }, () => signedWebhook(success)));
    assert.ok(
      again.every((a) => a.status === 200),
      JSON.stringify(again.map((a) => a.body)),
    );
    assert.equal((await resend(t.paymentUrl as string)).httpStatus, 200, 'the old failure changes nothing');
    await waitFor(
      () => workflowStatus(t.id),
      (s) => s === 'COMPLETED',
    );
    assert.equal(await balanceOf(admin, r.id), 8_000);
    assert.equal((await topupTransfers(t.id)).length, 1);
    assert.equal(await statusOf(t.id), 'completed');

    // A second capture on the same order is money to give back: a refund due, alerted, not a second credit.
    const second = uniq('pay_second');
    assert.equal((await signedWebhook({ ...success, paymentId: second })).status, 200);
    const refund = await waitFor(
      () => paymentsOf(t.id),
      (rows) => rows.some((p: { payment_id: string; action: string | null }) => p.payment_id === second && p.action),
    );
    assert.deepEqual(
      refund.map((p: { payment_id: string; outcome: string; action: string }) => [p.payment_id, p.outcome, p.action]),
      [
        [failed.paymentId, 'failure', 'none'],
        [captured, 'success', 'credited'],
        [second, 'success', 'refund_due'],
      ],
    );
    assert.match((await alertAbout(second)).text, new RegExp(`already credited by payment ${captured}`));
    const final = (await admin.get<Topup>(`/v1/topups/${t.id}`)).body;
    assert.equal(final.status, 'completed');
    assert.match(
      final.note as string,
      new RegExp(`payment ${second} of 8000 paise captured after the top-up had completed`),
    );
    assert.equal(await balanceOf(admin, r.id), 8_000);
    assert.equal(await floatPosted(), f0 + 8_000n);
  });

  test('a payment on time is recorded and credited with its payment id; a failure for an ended top-up changes nothing', async () => {
    const r = await addUser(dist.api, 'retailer');
    const t = await created(await r.api.post<Topup>('/v1/topups', { method: 'gateway', amount: 2_500 }));
    const paid = await payAtGateway(t.paymentUrl as string, 'success');
    await waitFor(
      () => statusOf(t.id),
      (s) => s === 'completed',
    );
    const [tr] = await topupTransfers(t.id);
    assert.deepEqual(tr.metadata, { orderId: await orderIdOf(t.id), paymentId: paid.paymentId });
    recordHistory(`topup-${t.id}`, 'topup-gateway-paid');
    const late = await signedWebhook({
      event: 'payment.failed',
      orderId: await orderIdOf(t.id),
      amount: 2_500,
      paymentId: uniq('pay_fail'),
    });
    assert.deepEqual([late.status, late.body.result], [200, 'already_settled']);
    assert.equal(await statusOf(t.id), 'completed');
    assert.equal(await balanceOf(admin, r.id), 2_500);
  });
});

describe('operations approve only stuck requests, with the money of whom the request is addressed to', () => {
  const opsSettle = (api: ApiClient, id: string, action: 'approve' | 'reject' | 'expire') =>
    api.post<Topup>(`/v1/ops/topups/${id}/${action}`, { note: 'UTR seen in the bank statement' }, false);
  /** Backdates a request past the stuck threshold, as if its upline had ignored it that long. */
  const makeStuck = (id: string) =>
    db('topups')
      .where({ id })
      .update({
        created_at: db.raw('now() - make_interval(secs => ?)', [stack.config.ops.stuckTopupAfterSeconds + 60]),
      });
  const auditOf = (id: string) => db('audit_events').where({ subject_id: id }).select('type', 'actor_id');

  test('a fresh request is 409 for support and an admin alike: nothing moves, nothing is audited', async () => {
    const [r0, d0, f0] = [await balanceOf(admin, ret.id), await balanceOf(admin, dist.id), await floatPosted()];
    const t = await created(await bankTopup(ret, 4_000));
    for (const api of [support.api, admin]) expectError(await opsSettle(api, t.id, 'approve'), 409, 'CONFLICT');
    assert.equal(await statusOf(t.id), 'pending_approval');
    assert.deepEqual(
      [await balanceOf(admin, ret.id), await balanceOf(admin, dist.id), await floatPosted()],
      [r0, d0, f0],
    );
    assert.deepEqual(await topupTransfers(t.id), []);
    assert.deepEqual(await auditOf(t.id), []);
    assert.equal((await decide(dist.api, t.id, 'reject')).status, 200, 'it is still its upline’s to decide');
  });

  test('a stuck request addressed to a distributor is paid from that distributor’s wallet, not the float', async () => {
    await fund(admin, dist, 20_000);
    const [r0, d0, f0] = [await balanceOf(admin, ret.id), await balanceOf(admin, dist.id), await floatPosted()];
    const t = await created(await bankTopup(ret, 6_000));
    await makeStuck(t.id);
    const a = await opsSettle(support.api, t.id, 'approve');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual([a.body.status, a.body.decidedBy], ['completed', support.id]);
    assert.equal(await balanceOf(admin, ret.id), r0 + 6_000);
    assert.equal(await balanceOf(admin, dist.id), d0 - 6_000);
    assert.equal(await floatPosted(), f0, 'the platform float is untouched');
    const [tr, ...more] = await topupTransfers(t.id);
    assert.equal(more.length, 0);
    assert.deepEqual([tr.debit_account_id, tr.kind], [walletAccountId(dist.id), 'topup_by_upline']);
    assert.deepEqual(await auditOf(t.id), [{ type: 'ops.topup_approved', actor_id: support.id }]);

    // The distributor cannot pay: 422, and nothing moves.
    const d1 = await balanceOf(admin, dist.id);
    const short = await created(await bankTopup(ret2, d1 + 1));
    await makeStuck(short.id);
    expectError(await opsSettle(support.api, short.id, 'approve'), 422, 'INSUFFICIENT_FUNDS');
    assert.equal(await statusOf(short.id), 'pending_approval');
    assert.equal(await balanceOf(admin, dist.id), d1);
    assert.deepEqual(await topupTransfers(short.id), []);
    assert.deepEqual(await auditOf(short.id), []);
    assert.equal((await opsSettle(support.api, short.id, 'reject')).status, 200);
  });

  test('a stuck request addressed to the admin is paid from the float', async () => {
    const [w0, f0] = [await balanceOf(admin, dist2.id), await floatPosted()];
    const t = await created(await bankTopup(dist2, 3_000));
    await makeStuck(t.id);
    const a = await opsSettle(support.api, t.id, 'approve');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(await balanceOf(admin, dist2.id), w0 + 3_000);
    assert.equal(await floatPosted(), f0 + 3_000n);
    const [tr] = await topupTransfers(t.id);
    assert.deepEqual([tr.debit_account_id, tr.kind], [systemAccounts.platformFloat, 'topup']);
  });

  test('an admin cannot approve its own request by any route; nothing moves', async () => {
    const [w0, f0] = [await balanceOf(admin, adminId), await floatPosted()];
    const own = await created(
      await admin.post<Topup>('/v1/topups', { method: 'bank_transfer', amount: 2_000, utr: utr() }),
    );
    expectError(await decide(admin, own.id, 'approve'), 403, 'FORBIDDEN');
    expectError(await opsSettle(admin, own.id, 'approve'), 403, 'FORBIDDEN');
    await makeStuck(own.id);
    expectError(await opsSettle(admin, own.id, 'approve'), 403, 'FORBIDDEN');
    expectError(await opsSettle(support.api, own.id, 'approve'), 403, 'FORBIDDEN');
    // Nor straight at its workflow, past the API.
    await assert.rejects(
      temporal.workflow
        .getHandle(`topup-${own.id}`)
        .executeUpdate('decide', { args: [{ decision: 'approve', by: adminId, source: 'platform' }] }),
      (err: Error & { cause?: { type?: string } }) => err.cause?.type === 'FORBIDDEN',
    );
    assert.equal(await statusOf(own.id), 'pending_approval');
    assert.equal(await balanceOf(admin, adminId), w0);
    assert.equal(await floatPosted(), f0);
    assert.deepEqual(await topupTransfers(own.id), []);
    assert.deepEqual(await auditOf(own.id), []);
    assert.equal((await decide(admin, own.id, 'reject')).status, 403, 'nor decide it at all');
    assert.equal((await opsSettle(admin, own.id, 'reject')).status, 200);
  });
});

describe('a top-up retried after a 5xx', () => {
  test('another body under the key is 409 and changes nothing; the workflow takes the stored request', async () => {
    // An API whose Temporal namespace does not exist: it stores the request, then cannot start its
    // workflow and answers 500, which keeps no answer for the key.
    const broken = await startApi(
      loadConfig({ ...stack.env, API_PORT: String(await freePort()), TEMPORAL_NAMESPACE: uniq('missing-ns') }),
      createLogger('silent'),
    );
    const r = await addUser(dist.api, 'retailer');
    const key = uniq('key');
    const body = { method: 'bank_transfer', amount: 1_000, utr: utr() };
    try {
      const first = await new ApiClient(broken.url, r.key).post('/v1/topups', body, key);
      assert.equal(first.status, 500, JSON.stringify(first.body));
    } finally {
      await broken.stop();
    }
    const rowsOf = () => db('topups').where({ user_id: r.id }).select('id', 'amount', 'method', 'utr', 'status');
    const stored = await rowsOf();
    assert.equal(stored.length, 1, 'the request was stored before the failure');
    const id = (stored[0] as { id: string }).id;

    for (const other of [
      { ...body, amount: 900_000 },
      { ...body, utr: utr() },
      { method: 'gateway', amount: 1_000 },
    ]) {
      expectError(await r.api.post('/v1/topups', other, key), 409, 'IDEMPOTENCY_CONFLICT');
    }
    assert.deepEqual(await rowsOf(), stored);
    await assert.rejects(workflowStatus(id), WorkflowNotFoundError, 'no workflow was started');

    const retried = await created(await r.api.post<Topup>('/v1/topups', body, key));
    assert.deepEqual([retried.id, retried.amount, retried.status], [id, 1_000, 'pending_approval']);
    assert.equal((await decide(admin, id, 'approve')).status, 200);
    assert.equal(await balanceOf(admin, r.id), 1_000, 'the workflow credited the stored amount');
    assert.equal((await topupTransfers(id))[0].amount, 1_000n);
  });
});
