import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { alertText } from '../../src/events/alerts';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { asMoneyEvent, type StoredEvent } from '../support/events';
import { eventually, fundedRetailer } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';
import { killProcess, startWorkerProcess } from '../support/worker-process';

// The worker (and with it the dispatcher's activity) runs as a separate process and is SIGKILLed
// while it is working through a backlog of alerts: some sent, the rest not yet.

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let worker: ChildProcess | undefined;

before(async () => {
  stack = await startStack({ noWorker: true });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  worker = await startWorkerProcess(stack.env);
});

after(async () => {
  if (worker) await killProcess(worker);
  await stack.stop();
  await db.destroy();
});

const TRANSFERS = 300;

async function smsTo(mobile: string): Promise<string[]> {
  const res = await fetch(`${stack.sims.urls.sms}/messages?to=${mobile}`);
  return ((await res.json()) as { items: Array<{ body: string }> }).items.map((m) => m.body);
}

async function sentCount(userIds: string[]): Promise<number> {
  const r = (await db('alert_deliveries')
    .whereIn('user_id', userIds)
    .where({ status: 'sent' })
    .count({ n: '*' })
    .first()) as unknown as { n: bigint };
  return Number(r.n);
}

test(
  'a worker killed mid-batch loses no event or alert and sends none to the wrong owner',
  { timeout: 240_000 },
  async (ctx) => {
    const n = await fundedRetailer(admin, 0);
    const utr = `UTR${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const t = await n.dist.post<{ id: string }>('/v1/topups', { method: 'bank_transfer', amount: 100_000, utr });
    assert.equal((await admin.post(`/v1/topups/${t.body.id}/approve`, {}, false)).status, 200);
    const retailers = [n.retailerId];
    for (let i = 0; i < 2; i++) {
      const u = await admin.post<{ id: string }>(
        '/v1/users',
        { role: 'retailer', name: `R${i}`, mobile: uniqueMobile(), parentId: n.distId },
        false,
      );
      assert.equal(u.status, 201, JSON.stringify(u.body));
      retailers.push(u.body.id);
    }
    const users = [n.distId, ...retailers];

    // A backlog made while no worker runs (transfers are posted by the API itself).
    await killProcess(worker!);
    worker = undefined;
    for (let i = 0; i < TRANSFERS; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const k = i + j;
          const x = await n.dist.post('/v1/transfers', {
            fromUserId: n.distId,
            toUserId: retailers[k % retailers.length],
            amount: 101 + k,
          });
          assert.equal(x.status, 201, JSON.stringify(x.body));
        }),
      );
    }
    // Every transfer is two alerted movements (out of the distributor, into a retailer), plus the top-up.
    const expectedSms = 2 * TRANSFERS + 1;

    worker = await startWorkerProcess(stack.env);
    const atKill = await eventually(
      () => sentCount(users),
      (sent) => sent > 0,
      30_000,
    );
    await killProcess(worker);
    const sentAtKill = await sentCount(users);
    assert.ok(sentAtKill < expectedSms, `the kill came after the whole backlog (${sentAtKill} sent)`);
    worker = await startWorkerProcess(stack.env);

    await eventually(
      () => sentCount(users),
      (sent) => sent >= expectedSms,
      150_000,
    ).catch(async (err: Error) => {
      const state = {
        deliveries: await db('alert_deliveries').whereIn('user_id', users).whereNot({ status: 'sent' }),
        unqueued: await db('events as e')
          .leftJoin('alert_deliveries as d', 'd.key', 'e.id')
          .whereIn('e.user_id', users)
          .whereNull('d.id')
          .whereIn('e.type', ['wallet.debited', 'wallet.credited'])
          .select(db.raw('e.seq, e.id, e.type, e.user_id, e.created_at, e.txid::text as txid, e.data')),
        distSms: (
          await smsTo(((await db('users').where({ id: n.distId }).first('mobile')) as { mobile: string }).mobile)
        ).filter((body) => !body.includes('transfer')),
        events: await db('events').whereIn('user_id', users).groupBy('type').select('type').count({ n: '*' }),
        cursor: await db('event_cursors').select(db.raw('name, ledger_seq, txid::text, seq')),
        horizon: await db.raw('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin'),
        open: await db.raw(
          'select pid, state, backend_xid::text, xact_start, left(query, 120) as query from pg_stat_activity where backend_xid is not null',
        ),
      };
      throw new Error(
        `${err.message}\n${JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v), 1)}`,
      );
    });

    // No event lost: one wallet event per posted entry of each wallet, none for anyone else.
    const events = (await db('events')
      .whereIn('user_id', users)
      .whereIn('type', ['wallet.debited', 'wallet.credited'])
      .orderBy('seq')) as StoredEvent[];
    for (const u of users) {
      const entries = (await db('ledger_entries')
        .where({ account_id: `wallet:${u}` })
        .where('posted_amount', '>', 0)
        .count({ n: '*' })
        .first()) as unknown as { n: bigint };
      assert.equal(events.filter((e) => e.user_id === u).length, Number(entries.n), `events of ${u}`);
    }
    assert.equal(events.length, 2 * TRANSFERS + 1);

    // Exactly one SMS delivery per alerted event, sent, to its owner's mobile.
    const mobiles = new Map<string, string>();
    for (const u of users)
      mobiles.set(u, ((await db('users').where({ id: u }).first('mobile')) as { mobile: string }).mobile);
    const deliveries = (await db('alert_deliveries')
      .whereIn(
        'key',
        events.map((e) => e.id),
      )
      .select('key', 'channel', 'user_id', 'recipient', 'status', 'body')) as Array<Record<string, string>>;
    assert.equal(deliveries.length, events.length);
    const byKey = new Map(deliveries.map((d) => [d.key, d]));
    for (const e of events) {
      const d = byKey.get(e.id)!;
      assert.equal(d.channel, 'sms');
      assert.equal(d.status, 'sent');
      assert.equal(d.user_id, e.user_id);
      assert.equal(d.recipient, mobiles.get(e.user_id));
    }

    // The sinks: every owner got each of its alerts (at least once), and nothing meant for another.
    let duplicates = 0;
    for (const u of users) {
      const expected = events.filter((e) => e.user_id === u).map((e) => alertText(asMoneyEvent(e))!.body);
      const got = await smsTo(mobiles.get(u)!);
      const want = new Set(expected);
      for (const body of got) assert.ok(want.has(body), `${u} received an SMS not about its wallet: ${body}`);
      const gotSet = new Set(got);
      for (const body of expected) assert.ok(gotSet.has(body), `${u} never received: ${body}`);
      duplicates += got.length - expected.length;
    }
    // At least once: only the wave in flight at the kill may go out twice.
    assert.ok(duplicates <= 8, `${duplicates} duplicates`);
    ctx.diagnostic(`${sentAtKill} of ${expectedSms} alerts sent at the kill; ${duplicates} sent twice`);
    assert.ok(atKill > 0);
  },
);
