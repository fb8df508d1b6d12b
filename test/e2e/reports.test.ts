import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { fyQuarter, istDate } from '../../src/reports/period';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { addUser, balanceOf, expectError, fund, waitFor, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// Reports over HTTP, each against what the ledger and the recharges say, over a day on which a
// retailer's wallet sees every kind of movement: top-up, credit from its upline, pull back up,
// recharge captured, commission, recharge refunded with its commission clawed back (a due
// collected), a failed recharge (a hold released: no posted movement).

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let md: Member;
let dist: Member;
let ret: Member;
let other: Member;
let today: string;
const recharges: Record<'s1' | 's2' | 's3' | 'failed' | 'reversed', string> = {
  s1: '',
  s2: '',
  s3: '',
  failed: '',
  reversed: '',
};

interface Recharge {
  id: string;
  status: string;
  provider: string | null;
}

async function recharge(subscriber: string, amount: number): Promise<Recharge> {
  const r = await ret.api.call<Recharge>(
    'POST',
    '/v1/recharges?waitMs=20000',
    { operator: 'JIO', subscriber, amount },
    { 'Idempotency-Key': randomUUID() },
  );
  assert.ok([200, 202].includes(r.status), JSON.stringify(r.body));
  return r.body;
}

const statusOf = (id: string, status: string) =>
  waitFor(
    async () => (await ret.api.get<Recharge>(`/v1/recharges/${id}`)).body,
    (r) => r.status === status,
    30_000,
  );

before(async () => {
  stack = await startStack({ simulators: { operator: { reversalMs: 300, pendingResolveMs: 300 } } });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  md = await addUser(admin, 'master_distributor');
  dist = await addUser(md.api, 'distributor');
  ret = await addUser(dist.api, 'retailer');
  other = await addUser(admin, 'distributor');
  today = istDate(new Date());

  await fund(admin, dist, 1_000_000);
  await fund(admin, ret, 30_000);
  const x = await dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 100_000 });
  assert.equal(x.status, 201, JSON.stringify(x.body));
  recharges.s1 = (await statusOf((await recharge('9876500001', 10_000)).id, 'success')).id;
  recharges.s2 = (await statusOf((await recharge('9876500002', 20_000)).id, 'success')).id;
  recharges.s3 = (await statusOf((await recharge('9876500003', 5_000)).id, 'success')).id;
  recharges.failed = (await statusOf((await recharge('9000000001', 7_000)).id, 'failed')).id;
  recharges.reversed = (await statusOf((await recharge('9000000005', 10_000)).id, 'reversed')).id;
  // The distributor pulls some back up.
  const pull = await dist.api.post('/v1/transfers', { fromUserId: ret.id, toUserId: dist.id, amount: 2_500 });
  assert.equal(pull.status, 201, JSON.stringify(pull.body));
});

after(async () => {
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

type Daybook = {
  userId: string;
  date: string;
  opening: number;
  credits: Record<string, number>;
  debits: Record<string, number>;
  totalCredits: number;
  totalDebits: number;
  closing: number;
  check: { ok: boolean; computedClosing: number };
};

const csvRows = (body: unknown) =>
  (body as string)
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));

describe('GET /v1/reports/daybook', () => {
  test('a day with every kind of movement: opening + credits - debits = closing, by kind as the statement has it', async () => {
    const d = (await ret.api.get<Daybook>(`/v1/reports/daybook?date=${today}`)).body;
    assert.equal(istDate(new Date()), today, 'the test ran within one IST day');
    const balance = await balanceOf(ret.api, ret.id);
    assert.equal(d.userId, ret.id);
    assert.equal(d.opening, 0);
    assert.equal(d.closing, balance);
    assert.deepEqual(d.check, { ok: true, computedClosing: balance });
    assert.equal(d.opening + d.totalCredits - d.totalDebits, d.closing);

    // The wallet's entries, summed by side and kind on our own, must say the same.
    const credits: Record<string, number> = {};
    const debits: Record<string, number> = {};
    const entries = await db.raw(
      `select e.side, t.kind, sum(e.posted_amount)::int8 as amount from ledger_entries e
         join ledger_transfers t on t.id = e.transfer_id
        where e.account_id = ? and e.posted_amount > 0 group by 1, 2`,
      [`wallet:${ret.id}`],
    );
    for (const r of entries.rows as Array<{ side: string; kind: string; amount: bigint }>)
      (r.side === 'credit' ? credits : debits)[r.kind] = Number(r.amount);
    assert.deepEqual(d.credits, credits);
    assert.deepEqual(d.debits, debits);
    for (const kind of ['topup', 'downline_credit', 'commission', 'recharge_capture_reversal'])
      assert.ok(d.credits[kind]! > 0, `credit kind ${kind}: ${JSON.stringify(d.credits)}`);
    for (const kind of ['recharge_capture', 'upline_pull', 'due_collected'])
      assert.ok(d.debits[kind]! > 0, `debit kind ${kind}: ${JSON.stringify(d.debits)}`);
    assert.equal(d.credits.topup, 30_000);
    assert.equal(d.credits.downline_credit, 100_000);
    assert.equal(d.debits.upline_pull, 2_500);
    assert.equal(d.debits.recharge_capture, 45_000);
    assert.equal(d.credits.recharge_capture_reversal, 10_000);
  });

  test('the next day opens and closes at the balance; the day before is empty', async () => {
    const balance = await balanceOf(ret.api, ret.id);
    const next = istDate(new Date(Date.now() + 86_400_000));
    const prev = istDate(new Date(Date.now() - 86_400_000));
    const n = (await dist.api.get<Daybook>(`/v1/reports/daybook?date=${next}&userId=${ret.id}`)).body;
    assert.deepEqual(n, {
      userId: ret.id,
      date: next,
      opening: balance,
      credits: {},
      debits: {},
      totalCredits: 0,
      totalDebits: 0,
      closing: balance,
      check: { ok: true, computedClosing: balance },
    });
    const p = (await ret.api.get<Daybook>(`/v1/reports/daybook?date=${prev}`)).body;
    assert.equal(p.opening, 0);
    assert.equal(p.closing, 0);
    assert.deepEqual([p.credits, p.debits], [{}, {}]);
  });

  test('CSV: one row per kind, the check last', async () => {
    const csv = await ret.api.get(`/v1/reports/daybook?date=${today}`, { Accept: 'text/csv' });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const rows = csvRows(csv.body);
    assert.deepEqual(rows[0], ['section', 'kind', 'amount']);
    assert.deepEqual(rows[1], ['opening', '', '0']);
    assert.deepEqual(rows.at(-1), ['check', 'ok', String(await balanceOf(ret.api, ret.id))]);
    assert.ok(rows.some((r) => r[0] === 'credit' && r[1] === 'topup' && r[2] === '30000'));
  });

  test('scoped: uplines read, others get 404; bad dates are 400', async () => {
    assert.equal((await md.api.get(`/v1/reports/daybook?userId=${ret.id}`)).status, 200);
    assert.equal((await admin.get(`/v1/reports/daybook?userId=${ret.id}`)).status, 200);
    expectError(await other.api.get(`/v1/reports/daybook?userId=${ret.id}`), 404, 'NOT_FOUND');
    expectError(await other.api.get(`/v1/reports/daybook?userId=${ret.id}`, { Accept: 'text/csv' }), 404, 'NOT_FOUND');
    expectError(await ret.api.get(`/v1/reports/daybook?userId=${dist.id}`), 404, 'NOT_FOUND');
    for (const date of ['2026-02-30', '2026-13-01', '26-01-01', 'today', "2026-01-01' or 1=1"])
      expectError(await ret.api.get(`/v1/reports/daybook?date=${encodeURIComponent(date)}`), 400, 'VALIDATION_FAILED');
  });
});

type CommissionReport = {
  items: Array<{ userId: string; operator: string | null; gross: number; tds: number; net: number; count: number }>;
  totals: { gross: number; tds: number; net: number; count: number };
  byQuarter: Array<{ quarter: string; gross: number; tds: number; net: number }>;
};

describe('GET /v1/reports/commissions', () => {
  test('gross, TDS and net by earner and operator, to the ledger; totals and quarters add up', async () => {
    const r = await md.api.get<CommissionReport>(`/v1/reports/commissions?from=${today}&to=${today}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // The reversed recharge's commissions were clawed back the same day: the report nets them out,
    // leaving each earner where the three recharges that stood put it.
    const clawedBack = await db.raw(
      `select count(*)::int as n from ledger_transfers where kind = 'commission_clawback' and reference = ?`,
      [`recharge:${recharges.reversed}`],
    );
    assert.equal((clawedBack.rows as Array<{ n: number }>)[0]!.n, 3, 'each commission of the reversal clawed back');
    const rows = await db.raw(
      `select substr(credit_account_id, 8) as user_id, sum(amount)::int8 as net,
              sum((metadata->>'gross')::int8)::int8 as gross, sum((metadata->>'tds')::int8)::int8 as tds, count(*)::int as n
         from ledger_transfers where kind = 'commission' and credit_account_id = any(?) and reference <> ? group by 1`,
      [[md.id, dist.id, ret.id].map((id) => `wallet:${id}`), `recharge:${recharges.reversed}`],
    );
    const expected = (rows.rows as Array<{ user_id: string; net: bigint; gross: bigint; tds: bigint; n: number }>)
      .map((x) => ({
        userId: x.user_id,
        operator: 'JIO',
        gross: Number(x.gross),
        tds: Number(x.tds),
        net: Number(x.net),
        count: x.n,
      }))
      .sort((a, b) => (a.userId < b.userId ? -1 : 1));
    assert.equal(expected.length, 3, 'md, dist and ret each earned');
    // 3 recharges that stood, each paying all three levels; the reversed one counts for nothing.
    for (const e of expected) assert.equal(e.count, 3);
    assert.deepEqual(r.body.items, expected);
    const sum = (k: 'gross' | 'tds' | 'net') => expected.reduce((s, e) => s + e[k], 0);
    assert.deepEqual(r.body.totals, { gross: sum('gross'), tds: sum('tds'), net: sum('net'), count: 9 });
    assert.deepEqual(r.body.byQuarter, [
      { quarter: fyQuarter(today), gross: sum('gross'), tds: sum('tds'), net: sum('net') },
    ]);
    for (const e of expected) assert.equal(e.gross - e.tds, e.net);

    // A retailer sees its own only; the distributor its own and the retailer's.
    const mine = (await ret.api.get<CommissionReport>(`/v1/reports/commissions?from=${today}&to=${today}`)).body;
    assert.deepEqual(
      mine.items.map((i) => i.userId),
      [ret.id],
    );
    const d = (await dist.api.get<CommissionReport>(`/v1/reports/commissions?from=${today}&to=${today}`)).body;
    assert.deepEqual(d.items.map((i) => i.userId).sort(), [dist.id, ret.id].sort());
    const yesterday = istDate(new Date(Date.now() - 86_400_000));
    const none = (await md.api.get<CommissionReport>(`/v1/reports/commissions?from=${yesterday}&to=${yesterday}`)).body;
    assert.deepEqual(none, {
      from: yesterday,
      to: yesterday,
      items: [],
      totals: { gross: 0, tds: 0, net: 0, count: 0 },
      byQuarter: [],
    });
  });

  test('a claw-back posted in a later period than its commission counts negative in that period', async () => {
    // A chain of its own, so the recharge changes none of the other reports.
    const md2 = await addUser(admin, 'master_distributor');
    const dist2 = await addUser(md2.api, 'distributor');
    const ret2 = await addUser(dist2.api, 'retailer');
    await fund(admin, ret2, 30_000);
    // The retailer's plan withholds TDS at 10 %, so the claw-back has TDS to return.
    const plan = await admin.post<{ id: string }>(
      '/v1/commission-plans',
      {
        name: `clawback ${randomUUID()}`,
        rules: [{ role: 'retailer', kind: 'prepaid', percentBps: 500, tdsBps: 1000 }],
      },
      false,
    );
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    const assigned = await admin.post(`/v1/commission-plans/${plan.body.id}/assign`, { userId: ret2.id }, false);
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    const created = await ret2.api.call<Recharge>(
      'POST',
      '/v1/recharges?waitMs=20000',
      { operator: 'JIO', subscriber: '9000000005', amount: 10_000 },
      { 'Idempotency-Key': randomUUID() },
    );
    assert.ok([200, 202].includes(created.status), JSON.stringify(created.body));
    await waitFor(
      async () => (await ret2.api.get<Recharge>(`/v1/recharges/${created.body.id}`)).body,
      (r) => r.status === 'reversed',
      30_000,
    );
    const reference = `recharge:${created.body.id}`;
    const earned = (
      await db.raw(
        `select substr(credit_account_id, 8) as user_id, amount, metadata from ledger_transfers
          where kind = 'commission' and reference = ? order by 1`,
        [reference],
      )
    ).rows as Array<{ user_id: string; amount: bigint; metadata: { gross: string; tds: string } }>;
    assert.ok(
      earned.some((e) => e.user_id === ret2.id && e.metadata.tds === '50'),
      JSON.stringify(earned.map((e) => [e.user_id, e.metadata])),
    );
    // + 0: no -0 where nothing was withheld.
    const signed = (sign: number) =>
      earned.map((e) => ({
        userId: e.user_id,
        operator: 'JIO',
        gross: sign * Number(e.metadata.gross) + 0,
        tds: sign * Number(e.metadata.tds) + 0,
        net: sign * Number(e.amount) + 0,
        count: sign,
      }));
    const total = (sign: number) => {
      const items = signed(sign);
      const sum = (k: 'gross' | 'tds' | 'net') => items.reduce((s, e) => s + e[k], 0);
      return { gross: sum('gross'), tds: sum('tds'), net: sum('net') };
    };
    const report = async (from: string, to: string) => {
      const r = await md2.api.get<CommissionReport>(`/v1/reports/commissions?from=${from}&to=${to}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    // Same day: nothing earned.
    const sameDay = await report(today, today);
    assert.deepEqual(sameDay.totals, { gross: 0, tds: 0, net: 0, count: 0 });
    for (const i of sameDay.items) assert.deepEqual([i.gross, i.tds, i.net, i.count], [0, 0, 0, 0]);

    // The commissions moved back a day (restored before the ledger's final check): earned
    // yesterday, clawed back today.
    const yesterday = istDate(new Date(Date.now() - 86_400_000));
    const shift = (interval: string) =>
      db.transaction(async (trx) => {
        await trx.raw('set local session_replication_role = replica');
        await trx.raw(
          `update ledger_transfers set created_at = created_at + ?::interval where kind = 'commission' and reference = ?`,
          [interval, reference],
        );
      });
    await shift('-1 day');
    try {
      const before = await report(yesterday, yesterday);
      assert.deepEqual(before.items, signed(1));
      assert.deepEqual(before.totals, { ...total(1), count: earned.length });
      assert.deepEqual(before.byQuarter, [{ quarter: fyQuarter(yesterday), ...total(1) }]);
      const after = await report(today, today);
      assert.deepEqual(after.items, signed(-1));
      assert.deepEqual(after.totals, { ...total(-1), count: -earned.length });
      const csv = csvRows(
        (await md2.api.get(`/v1/reports/commissions?from=${today}&to=${today}`, { Accept: 'text/csv' })).body,
      );
      assert.deepEqual(
        csv.slice(1),
        signed(-1).map((i) => [i.userId, i.operator, i.gross, i.tds, i.net, i.count].map(String)),
      );
      const both = await report(yesterday, today);
      assert.deepEqual(both.totals, { gross: 0, tds: 0, net: 0, count: 0 });
    } finally {
      await shift('1 day');
    }
  });

  test('CSV streams the items; scope and bad periods refused', async () => {
    const csv = await md.api.get(`/v1/reports/commissions?from=${today}&to=${today}`, { Accept: 'text/csv' });
    assert.equal(csv.status, 200);
    const rows = csvRows(csv.body);
    assert.deepEqual(rows[0], ['userId', 'operator', 'gross', 'tds', 'net', 'count']);
    assert.equal(rows.length, 4);
    expectError(
      await ret.api.get(`/v1/reports/commissions?from=${today}&to=${today}&userId=${dist.id}`),
      404,
      'NOT_FOUND',
    );
    expectError(
      await other.api.get(`/v1/reports/commissions?from=${today}&to=${today}&userId=${ret.id}`),
      404,
      'NOT_FOUND',
    );
    expectError(await md.api.get(`/v1/reports/commissions?from=2026-05-02&to=2026-05-01`), 400, 'VALIDATION_FAILED');
    expectError(await md.api.get(`/v1/reports/commissions?from=${today}`), 400, 'VALIDATION_FAILED');
  });
});

type Summary = {
  items: Array<{
    key: string;
    count: number;
    amount: number;
    successCount: number;
    successAmount: number;
    successRate: number | null;
  }>;
};

describe('GET /v1/reports/recharges', () => {
  test('by status and by operator: counts, amounts, success rate', async () => {
    const q = `from=${today}&to=${today}&userId=${ret.id}`;
    const byStatus = (await dist.api.get<Summary>(`/v1/reports/recharges?${q}&groupBy=status`)).body;
    assert.deepEqual(
      byStatus.items.map((i) => [i.key, i.count, i.amount]),
      [
        ['failed', 1, 7_000],
        ['reversed', 1, 10_000],
        ['success', 3, 35_000],
      ],
    );
    const byOperator = (await dist.api.get<Summary>(`/v1/reports/recharges?${q}&groupBy=operator`)).body;
    assert.deepEqual(byOperator.items, [
      { key: 'JIO', count: 5, amount: 52_000, successCount: 3, successAmount: 35_000, successRate: 0.6 },
    ]);
    const byUser = (await md.api.get<Summary>(`/v1/reports/recharges?from=${today}&to=${today}&groupBy=user`)).body;
    assert.deepEqual(
      byUser.items.map((i) => i.key),
      [ret.id],
    );
    const csv = await dist.api.get(`/v1/reports/recharges?${q}&groupBy=provider`, { Accept: 'text/csv' });
    const rows = csvRows(csv.body);
    assert.deepEqual(rows[0], ['key', 'count', 'amount', 'successCount', 'successAmount', 'successRate']);
    assert.deepEqual(rows.slice(1), [['alpha', '5', '52000', '3', '35000', '0.6']]);
  });

  test('other downlines see nothing of it; bad groupBy is 400', async () => {
    const r = (await other.api.get<Summary>(`/v1/reports/recharges?from=${today}&to=${today}&groupBy=user`)).body;
    assert.deepEqual(r.items, []);
    expectError(
      await md.api.get(`/v1/reports/recharges?from=${today}&to=${today}&groupBy=amount`),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await md.api.get(`/v1/reports/recharges?from=${today}&to=${today}&groupBy=r.amount`),
      400,
      'VALIDATION_FAILED',
    );
  });
});

type Reconciliation = {
  lines: number;
  matched: number;
  missingHere: Array<{ rechargeId: string; line: number }>;
  missingThere: Array<{ rechargeId: string }>;
  mismatched: Array<{ rechargeId: string; field: string; line: number }>;
};

function postStatement(api: ApiClient, query: string, csv: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.api.url}/v1/reports/provider-reconciliation?${query}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${api.key}`, 'Content-Type': 'text/csv', ...headers },
    body: csv,
  });
}

describe('POST /v1/reports/provider-reconciliation', () => {
  const statement = () =>
    [
      'txnId,clientRef,amount,status,date',
      `T1,${recharges.s1},100.00,SUCCESS,${today}`,
      `T2,${recharges.s2},199.50,success,${today}`, // amount differs: ours is ₹200
      `T3,${recharges.failed},70,FAILED,${today}`,
      `T4,${recharges.reversed},100,SUCCESS,${today}`, // they say success, we refunded
      `T5,rch_nothere,10.00,SUCCESS,${today}`,
      `T6,=HYPERLINK("http://x"),1,SUCCESS,${today}`,
      `T7,${recharges.s1},100.00,SUCCESS,${today}`, // listed twice
    ].join('\r\n');

  test('each line matched, missing here, missing there or mismatched', async () => {
    const res = await postStatement(admin, 'provider=alpha', statement());
    const body = (await res.json()) as Reconciliation;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.lines, 7);
    assert.ok(body.matched >= 2, 'of this file: s1 and the failed one');
    assert.deepEqual(
      body.mismatched.map((m) => [m.rechargeId, m.field, m.line]).sort((a, b) => (a[2] as number) - (b[2] as number)),
      [
        [recharges.s2, 'amount', 3],
        [recharges.reversed, 'status', 5],
        [recharges.s1, 'duplicate', 8],
      ],
    );
    assert.deepEqual(
      body.missingHere.map((m) => [m.rechargeId, m.line]),
      [
        ['rch_nothere', 6],
        ['=HYPERLINK("http://x")', 7],
      ],
    );
    const there = new Set(body.missingThere.map((m) => m.rechargeId));
    assert.ok(there.has(recharges.s3), 's3 is not on their statement');
    for (const id of [recharges.s1, recharges.s2, recharges.failed, recharges.reversed]) assert.ok(!there.has(id));
  });

  test('CSV answer, formulas defused', async () => {
    const res = await postStatement(admin, 'provider=alpha', statement(), { Accept: 'text/csv' });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(
      text.split('\n')[0]!,
      /^outcome,line,rechargeId,field,ourAmount,theirAmount,ourStatus,theirStatus,txnId$/,
    );
    assert.ok(text.includes(`missing_here,7,"'=HYPERLINK(""http://x"")",,,100,,SUCCESS,T6`), text);
    assert.ok(!/(^|,)=/m.test(text), 'no cell starts with =');
  });

  test('refused whole: bad lines, no period, JSON bodies, non-admins, unknown providers', async () => {
    const bad = await postStatement(
      admin,
      'provider=alpha',
      ['clientRef,amount,status', 'rch_a,12.345,SUCCESS', 'rch_b,10,DONE', 'rch_c,10,SUCCESS'].join('\n'),
    );
    const badBody = (await bad.json()) as { error: { code: string; details: { fields: Array<{ path: string }> } } };
    assert.equal(bad.status, 400);
    assert.deepEqual(
      badBody.error.details.fields.map((f) => f.path),
      ['body.line2', 'body.line3'],
    );
    const noDates = await postStatement(admin, 'provider=alpha', 'clientRef,amount,status\nrch_c,10,SUCCESS\n');
    assert.equal(noDates.status, 400);
    const dated = await postStatement(
      admin,
      `provider=alpha&from=${today}&to=${today}`,
      'clientRef,amount,status\nrch_c,10,SUCCESS\n',
    );
    assert.equal(dated.status, 200);
    const noHeader = await postStatement(admin, 'provider=alpha', `${recharges.s1},100,SUCCESS\n`);
    assert.equal(noHeader.status, 400);
    expectError(
      await admin.call('POST', '/v1/reports/provider-reconciliation?provider=alpha', { clientRef: 'x' }),
      400,
      'VALIDATION_FAILED',
    );
    assert.equal((await postStatement(dist.api, 'provider=alpha', statement())).status, 403);
    assert.equal((await postStatement(admin, 'provider=nosuch', statement())).status, 404);
    assert.equal((await postStatement(admin, 'provider=Alpha!', statement())).status, 400);
  });
});
