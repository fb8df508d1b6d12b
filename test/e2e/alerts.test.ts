import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { rupees } from '../../src/events/alerts';
import { dispatcherWorkflowId } from '../../src/events/dispatcher';
import { recordHistory } from '../support/histories';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { eventually, fundedRetailer, type Network } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// Alerts and the event feed seen from outside: the API, the ledger's own statement, and what the
// SMS and mail sinks received.

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  // The dispatcher never closes: its history as far as this file's movements took it.
  recordHistory(dispatcherWorkflowId(stack.config.temporal.taskQueue), 'event-dispatcher', { waitForClose: false });
  await stack.stop();
  await db.destroy();
});

interface StatementItem {
  transferId: string;
  kind: string;
  amount: number;
  direction: 'debit' | 'credit';
  balanceAfter: number;
  reference: string | null;
}

interface EventRow {
  id: string;
  type: string;
  user_id: string;
  data: Record<string, unknown>;
}

/** The wallet's movements, oldest first, from its statement: entries that changed the balance (not holds). */
async function movements(api: ApiClient, userId: string): Promise<StatementItem[]> {
  const r = await api.get<{ items: StatementItem[] }>(`/v1/wallets/${userId}/statement?limit=200`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  let balance = 0;
  const out: StatementItem[] = [];
  for (const i of r.body.items.reverse()) {
    if (i.balanceAfter !== balance) out.push(i);
    balance = i.balanceAfter;
  }
  return out;
}

async function eventsOf(userId: string, types?: string[]): Promise<EventRow[]> {
  const q = db('events').where({ user_id: userId }).orderBy('seq').select('id', 'type', 'user_id', 'data');
  if (types) q.whereIn('type', types);
  return (await q) as EventRow[];
}

async function walletEvents(userId: string): Promise<EventRow[]> {
  return eventsOf(userId, ['wallet.debited', 'wallet.credited']);
}

/** Every movement of the wallet has exactly one wallet event, with its amount, kind and balance after. */
async function expectEventPerMovement(api: ApiClient, userId: string): Promise<EventRow[]> {
  const expected = await movements(api, userId);
  const events = await eventually(
    () => walletEvents(userId),
    (e) => e.length >= expected.length,
  );
  assert.deepEqual(
    events.map((e) => ({
      type: e.type,
      transferId: e.data.transferId,
      kind: e.data.kind,
      amount: e.data.amount,
      direction: e.data.direction,
      balanceAfter: e.data.balanceAfter,
      reference: e.data.reference,
    })),
    expected.map((m) => ({
      type: m.direction === 'debit' ? 'wallet.debited' : 'wallet.credited',
      transferId: m.transferId,
      kind: m.kind,
      amount: m.amount,
      direction: m.direction,
      balanceAfter: m.balanceAfter,
      reference: m.reference,
    })),
  );
  return events;
}

async function smsTo(mobile: string): Promise<string[]> {
  const res = await fetch(`${stack.sims.urls.sms}/messages?to=${mobile}`);
  return ((await res.json()) as { items: Array<{ body: string }> }).items.map((m) => m.body);
}

async function mailTo(address: string): Promise<Array<{ subject: string; text: string }>> {
  const res = await fetch(`${stack.sims.urls.mailHttp}/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { items: Array<{ subject: string; text: string }> }).items;
}

/** The SMS the alert of a wallet event must be. */
function alertOf(e: EventRow, label: string): string {
  const d = e.data;
  const verb = e.type === 'wallet.debited' ? 'debited from' : 'credited to';
  const ref = (d.reference as string | null) ?? (d.transferId as string);
  return `Tijori: ${rupees(d.amount as number)} ${verb} your wallet (${label}). Balance ${rupees(d.balanceAfter as number)}. Ref ${ref}.`;
}

async function mobileOf(userId: string): Promise<string> {
  return ((await db('users').where({ id: userId }).first('mobile')) as { mobile: string }).mobile;
}

async function recharge(n: Network, subscriber: string) {
  const r = await n.retailer.call<Record<string, unknown> & { id: string; status: string; provider: string }>(
    'POST',
    '/v1/recharges?waitMs=10000',
    { operator: 'VI', subscriber, amount: 10_000 },
    { 'Idempotency-Key': randomUUID() },
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'success');
  return r.body;
}

describe('every debit and credit of every wallet is announced, with the balance after', () => {
  test('top-up, transfer in and out, pull-back, recharge, commission, refund, reversal, due collected', async () => {
    const n = await fundedRetailer(admin, 100_000);
    const pulled = await n.dist.post('/v1/transfers', {
      fromUserId: n.retailerId,
      toUserId: n.distId,
      amount: 5_000,
      note: 'month end',
    });
    assert.equal(pulled.status, 201, JSON.stringify(pulled.body));

    const r = await recharge(n, '9878901111');
    // The recharge's own event carries the recharge as the API shows it at that moment.
    const [succeeded] = await eventually(
      () => eventsOf(n.retailerId, ['recharge.succeeded']),
      (e) => e.length === 1,
    );
    assert.deepEqual(succeeded!.data, (await n.retailer.get(`/v1/recharges/${r.id}`)).body);

    // The provider reverses it: a dispute confirms that with the provider, then refunds and claws back.
    const said = await fetch(`${stack.sims.urls.operator}/control/transactions/${r.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: r.provider, status: 'REVERSED' }),
    });
    assert.equal(said.status, 200, await said.text());
    const disputed = await n.retailer.post(`/v1/recharges/${r.id}/dispute`, { reason: 'no talktime' }, false);
    assert.equal(disputed.status, 202, JSON.stringify(disputed.body));
    const reversed = await eventually(
      async () => (await n.retailer.get<{ status: string }>(`/v1/recharges/${r.id}`)).body,
      (b) => b.status === 'reversed',
    );
    const [reversal] = await eventually(
      () => eventsOf(n.retailerId, ['recharge.reversed']),
      (e) => e.length === 1,
    );
    assert.deepEqual(reversal!.data, reversed);

    const retailerEvents = await expectEventPerMovement(n.retailer, n.retailerId);
    const distEvents = await expectEventPerMovement(n.dist, n.distId);
    const kinds = (es: EventRow[]) => es.map((e) => `${e.type === 'wallet.debited' ? '-' : '+'}${String(e.data.kind)}`);
    assert.deepEqual(kinds(retailerEvents), [
      '+downline_credit',
      '-upline_pull',
      '-recharge_capture',
      '+commission',
      '+recharge_capture_reversal',
      '-due_collected',
    ]);
    // The distributor's commission (₹0.50) is clawed back from its wallet as a due collected.
    assert.deepEqual(kinds(distEvents), [
      '+topup',
      '-downline_credit',
      '+upline_pull',
      '+commission',
      '-due_collected',
    ]);

    // One SMS per movement above ₹1, to the wallet's owner, with the amount, balance after and reference.
    const labels: Record<string, string> = {
      topup: 'top-up',
      downline_credit: 'transfer',
      upline_pull: 'pull-back',
      recharge_capture: 'recharge',
      commission: 'commission',
      recharge_capture_reversal: 'recharge refund',
      due_collected: 'due collected',
    };
    for (const [userId, events] of [
      [n.retailerId, retailerEvents],
      [n.distId, distEvents],
    ] as const) {
      const expected = events
        .filter((e) => (e.data.amount as number) > 100)
        .map((e) => alertOf(e, labels[e.data.kind as string]!));
      const mobile = await mobileOf(userId);
      const got = await eventually(
        async () => (await smsTo(mobile)).filter((b) => b.startsWith('Tijori: ')),
        (b) => b.length >= expected.length,
      );
      assert.deepEqual(got.reverse(), expected);
    }
    const retailerSms = await smsTo(await mobileOf(n.retailerId));
    assert.equal(retailerSms.filter((b) => b.startsWith(`Recharge of ₹100.00 for VI 9878901111 succeeded`)).length, 1);
    assert.equal(retailerSms.filter((b) => /was reversed by the operator/.test(b)).length, 1);

    // transfer.completed: the transfer as POST /v1/transfers answered it, about the downline party.
    const transfers = await eventsOf(n.retailerId, ['transfer.completed']);
    assert.equal(transfers.length, 2);
    assert.deepEqual(
      { direction: transfers[0]!.data.direction, amount: transfers[0]!.data.amount },
      { direction: 'down', amount: 100_000 },
    );
    assert.deepEqual(transfers[1]!.data, pulled.body);
  });

  test("a top-up's events: topup.completed as the API shows it, and the credit", async () => {
    const n = await fundedRetailer(admin, 0);
    const id = await topUp(n, 25_000);
    const [completed] = await eventually(
      () => eventsOf(n.distId, ['topup.completed']),
      (e) => e.length === 1,
    );
    assert.deepEqual(completed!.data, (await n.dist.get(`/v1/topups/${id}`)).body);
    const [credit] = await expectEventPerMovement(n.dist, n.distId);
    assert.equal(credit!.data.amount, 25_000);
    assert.equal(credit!.data.balanceAfter, 25_000);
  });
});

/** Credits the distributor by a bank top-up the admin approves. */
async function topUp(n: Network, amount: number): Promise<string> {
  const utr = `UTR${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const t = await n.dist.post<{ id: string }>('/v1/topups', { method: 'bank_transfer', amount, utr });
  assert.equal(t.status, 202, JSON.stringify(t.body));
  const a = await admin.post(`/v1/topups/${t.body.id}/approve`, {}, false);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  return t.body.id;
}

describe('email alerts can be turned off, SMS alerts cannot', () => {
  test('PUT /v1/me/alerts: email off stops the emails, SMS go on; bad bodies change nothing', async () => {
    const n = await fundedRetailer(admin, 0);
    await topUp(n, 100_000);
    const email = `r${Date.now()}@example.test`;
    const u = await admin.post<{ id: string; mobile: string }>(
      '/v1/users',
      { role: 'retailer', name: 'Mailer', mobile: uniqueMobile(), email, parentId: n.distId },
      false,
    );
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const k = await admin.post<{ key: string }>('/v1/api-keys', { userId: u.body.id, name: 'test' }, false);
    const me = admin.as(k.body.key);

    const send = async (amount: number) => {
      const x = await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: u.body.id, amount });
      assert.equal(x.status, 201, JSON.stringify(x.body));
    };
    await send(1_234);
    const mails = await eventually(
      () => mailTo(email),
      (m) => m.length === 1,
    );
    assert.match(mails[0]!.text, /₹12\.34 credited to your wallet \(transfer\)\. Balance ₹12\.34/);

    for (const bad of [{ email: 'no' }, { sms: false }, { lowBalanceThreshold: -1 }, { lowBalanceThreshold: 1.5 }]) {
      const r = await me.call('PUT', '/v1/me/alerts', bad);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal((r.body as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
    }
    assert.equal(await db('user_alert_settings').where({ user_id: u.body.id }).first(), undefined);

    const off = await me.call('PUT', '/v1/me/alerts', { email: false, lowBalanceThreshold: 50_000 });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.deepEqual(off.body, { email: false, lowBalanceThreshold: 50_000 });
    // A partial change keeps the other field.
    const again = await me.call('PUT', '/v1/me/alerts', { lowBalanceThreshold: null });
    assert.deepEqual(again.body, { email: false, lowBalanceThreshold: null });

    await send(2_345);
    await eventually(
      () => smsTo(u.body.mobile),
      (s) => s.some((b) => b.includes('₹23.45 credited') && b.includes('Balance ₹35.79')),
    );
    // The SMS went out after the event was handed out; so would have the email.
    assert.equal((await mailTo(email)).length, 1);
    const rows = (await db('alert_deliveries').where({ user_id: u.body.id }).select('channel')) as Array<{
      channel: string;
    }>;
    assert.deepEqual(rows.map((r) => r.channel).sort(), ['email', 'sms', 'sms']);
  });
});
