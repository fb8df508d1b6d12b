import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { alertText } from '../../../src/events/alerts';
import { EventFeed } from '../../../src/events/feed';
import type { EventConsumer } from '../../../src/events/types';
import { Ledger, walletAccount, walletAccountId } from '../../../src/ledger';
import { separateDatabase, uniq } from '../../support/db';
import { asMoneyEvent, type StoredEvent } from '../../support/events';
import { killProcess } from '../../support/worker-process';

// The events feed and the alerts queue under crashes, many times over: dispatcher processes are
// SIGKILLed at random moments (mid-derive, mid-hand-out, mid-send), sometimes two run at once (one
// presumed dead), while postings keep committing. Afterwards every posted wallet entry has exactly
// one event, every alerted event exactly one SMS delivery to its owner, sent, and the sink holds
// every alert for its owner and nothing for anyone else.

const entry = path.resolve(__dirname, '..', '..', 'support', 'feed-dispatcher.ts');
const KILLS = 16;

let own: Awaited<ReturnType<typeof separateDatabase>>;
let ledger: Ledger;
let sink: string;
const users: Array<{ id: string; mobile: string }> = [];
const float = `${uniq('feedcrash')}:float`;

before(async () => {
  own = await separateDatabase();
  ledger = new Ledger(own.db);
  sink = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-feed-')), 'sms.jsonl');
  fs.writeFileSync(sink, '');
  for (let i = 0; i < 6; i++) {
    const id = uniq('usr_');
    const mobile = `7${String(randomInt(1e9)).padStart(9, '0')}`;
    await own.db('users').insert({ id, role: 'retailer', name: id, mobile, parent_id: null, path: id });
    users.push({ id, mobile });
  }
  await ledger.createAccounts([
    { id: float, kind: 'float', normalSide: 'debit' },
    ...users.map((u) => walletAccount(u.id)),
  ]);
});

after(async () => {
  await ledger.close();
  await own.drop();
  fs.rmSync(path.dirname(sink), { recursive: true, force: true });
});

function startDispatcher(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, DATABASE_URL: own.url, SMS_SINK: sink, BATCH_SIZE: String(randomInt(5, 60)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`dispatcher exited (${code}):\n${err}`));
    });
  });
}

/** Postings from several callers at once: top-ups from the float and transfers between wallets. */
async function postWhile(running: () => boolean): Promise<number> {
  let n = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, caller) => {
      for (let i = 0; running(); i++) {
        const to = users[randomInt(users.length)]!;
        const from = i % 3 === 0 ? null : users[randomInt(users.length)]!;
        const results = await ledger.createTransfers([
          {
            id: `${float}:${caller}:${i}`,
            debitAccountId: from && from !== to ? walletAccountId(from.id) : float,
            creditAccountId: walletAccountId(to.id),
            amount: BigInt(randomInt(50, 5000)),
            kind: from && from !== to ? 'downline_credit' : 'topup',
          },
        ]);
        if (results[0]!.status === 'created') n++;
        await new Promise((r) => setTimeout(r, randomInt(0, 15)));
      }
    }),
  );
  return n;
}

// Runs first, on the fresh database: the cursor is still at the start.
test('the feed hands events out in transaction order where transaction ids gain a digit', async () => {
  // Written as if by transactions 99 and 100 (long finished: the migrations alone took more):
  // as text, '100' sorts before '99'.
  await own.db('events').insert(
    ['99', '100'].map((txid) => ({
      id: `evt_probe${txid}`,
      type: 'topup.completed',
      user_id: users[0]!.id,
      data: JSON.stringify({ txid }),
      txid,
    })),
  );
  const seen: string[] = [];
  const probe: EventConsumer = {
    name: 'probe',
    enqueue: async (events) => void seen.push(...events.map((e) => e.id)),
    sendDue: async () => ({ sent: 0, failed: 0 }),
  };
  const feed = new EventFeed(own.db);
  while ((await feed.handOut([probe], 1)) > 0);
  assert.deepEqual(seen, ['evt_probe99', 'evt_probe100']);
});

test(
  'dispatchers killed at random moments lose, invent and misroute no event or alert',
  { timeout: 240_000 },
  async () => {
    let posting = true;
    const postings = postWhile(() => posting);
    const live = new Set<ChildProcess>();
    for (let k = 0; k < KILLS; k++) {
      const d = await startDispatcher();
      live.add(d);
      // Now and then a second dispatcher overlaps the first (a presumed-dead one still running).
      if (k % 4 === 1) live.add(await startDispatcher());
      await new Promise((r) => setTimeout(r, randomInt(30, 700)));
      for (const c of live) await killProcess(c);
      live.clear();
    }
    posting = false;
    const posted = await postings;
    assert.ok(posted > 50, `only ${posted} postings`);

    // One more, left alone, drains the feed.
    const last = await startDispatcher();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        // Every entry derived, every event handed out, every alert sent.
        const {
          rows: [left],
        } = (await own.db.raw(
          `select (select count(*) from ledger_entries e, event_cursors c where e.seq > c.ledger_seq)::int as underived,
                  (select count(*) from events e, event_cursors c where (e.txid, e.seq) > (c.txid, c.seq))::int as unhanded,
                  (select count(*) from alert_deliveries where status = 'pending')::int as unsent`,
        )) as { rows: Array<{ underived: number; unhanded: number; unsent: number }> };
        if (left!.underived + left!.unhanded + left!.unsent === 0) break;
        assert.ok(Date.now() < deadline, `feed not drained: ${JSON.stringify(left)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await killProcess(last);
    }

    const byId = new Map(users.map((u) => [u.id, u]));
    const entries = (await own
      .db('ledger_entries')
      .where('account_id', 'like', 'wallet:%')
      .where('posted_amount', '>', 0)
      .select('seq')) as Array<{ seq: bigint }>;
    const events = (await own
      .db('events')
      .whereIn('type', ['wallet.debited', 'wallet.credited'])
      .select('seq', 'id', 'type', 'user_id', 'data', 'created_at')) as StoredEvent[];
    assert.deepEqual(
      events.map((e) => e.id).sort(),
      entries.map((e) => `evt_w${e.seq}`).sort(),
      'one wallet event per posted wallet entry',
    );

    const alerted = events.flatMap((e) => {
      const text = alertText(asMoneyEvent(e));
      return text ? [{ e, body: text.body }] : [];
    });
    const deliveries = (await own
      .db('alert_deliveries')
      .select('key', 'channel', 'user_id', 'recipient', 'status')) as Array<Record<string, string>>;
    const byKey = new Map(deliveries.map((d) => [d.key, d]));
    const missing = alerted.filter(({ e }) => !byKey.has(e.id)).map(({ e }) => e.id);
    assert.deepEqual(missing, [], 'alerted events without a delivery');
    assert.equal(deliveries.length, alerted.length, 'one delivery per alerted event');
    for (const { e } of alerted) {
      const d = byKey.get(e.id)!;
      assert.deepEqual(
        { channel: d.channel, status: d.status, user: d.user_id, to: d.recipient },
        { channel: 'sms', status: 'sent', user: e.user_id, to: byId.get(e.user_id)!.mobile },
        e.id,
      );
    }

    const sent = fs
      .readFileSync(sink, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { to: string; body: string });
    const want = new Set(alerted.map(({ e, body }) => `${byId.get(e.user_id)!.mobile} ${body}`));
    const got = new Set(sent.map((s) => `${s.to} ${s.body}`));
    for (const s of got) assert.ok(want.has(s), `an SMS not about its recipient's wallet: ${s}`);
    for (const w of want) assert.ok(got.has(w), `never sent: ${w}`);
  },
);
