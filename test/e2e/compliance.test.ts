import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { candidateColumns } from '../../src/compliance/aml';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey } from '../support/api';
import { separateDatabase } from '../support/db';
import { addUser, expectError, fund, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// STR and CTR candidates over HTTP, at their edges: ₹49,999.99 against ₹50,000.00 in one transfer,
// ₹9,99,999.99 against ₹10,00,000.00 in a month, and ₹10,00,000.00 split across an IST month
// boundary. Its own database, whose ledger clock the test sets (see setClock), so the transfers
// land on either side of midnight IST on 31 January 2027 and no other test's money is in the months.

const NO_CAP = { none: null, min: null, full: null };
let stack: TestStack;
let own: Awaited<ReturnType<typeof separateDatabase>>;
let db: Db;
let admin: ApiClient;

/**
 * The ledger stamps transfers with clock_timestamp(). In this database an unqualified
 * clock_timestamp() resolves to public.clock_timestamp() (its search_path puts public before
 * pg_catalog), which adds the shift set here: the ledger's clock reads `at` from now on.
 */
async function setClock(at: string): Promise<void> {
  await db.raw('update public.test_clock set shift = ?::timestamptz - pg_catalog.clock_timestamp()', [at]);
}

before(async () => {
  own = await separateDatabase();
  db = own.db;
  await db.raw(`
    create table public.test_clock (shift interval not null);
    insert into public.test_clock values (interval '0');
    create function public.clock_timestamp() returns timestamptz language sql volatile
      as 'select pg_catalog.clock_timestamp() + (select shift from public.test_clock)';
  `);
  await db.raw(`alter database ?? set search_path = public, pg_catalog`, [new URL(own.url).pathname.slice(1)]);
  stack = await startStack({
    env: {
      DATABASE_URL: own.url,
      DATABASE_READ_URL: own.url,
      KYC_CAPS_BY_ROLE: JSON.stringify({ master_distributor: NO_CAP, distributor: NO_CAP, retailer: NO_CAP }),
      STEP_UP_THRESHOLD_PAISE: String(Number.MAX_SAFE_INTEGER),
    },
  });
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await stack.stop();
  await own.drop();
});

async function transfer(from: Member, to: Member, amount: number): Promise<void> {
  const r = await from.api.post('/v1/transfers', { fromUserId: from.id, toUserId: to.id, amount });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

interface Item {
  userId: string;
  reason: string;
  direction: string | null;
  amount: number;
  transfers: Array<{ transferId: string; at: string; kind: string; direction: string; amount: number }>;
}

const sorted = (rows: unknown[]) => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Items as [user, reason, direction, amount, [kind direction amount]...], in a stable order. */
function shape(items: Item[], names: Map<string, string>): unknown[] {
  return sorted(
    items.map((i) => [
      names.get(i.userId) ?? i.userId,
      i.reason,
      i.direction,
      i.amount,
      i.transfers.map((t) => `${t.kind} ${t.direction} ${t.amount}`),
    ]),
  );
}

async function report(path: string, month: string, as = admin): Promise<Item[]> {
  const r = await as.get<{ month: string; items: Item[] }>(`${path}?month=${month}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.month, month);
  return r.body.items;
}

let names: Map<string, string>;

test('STR and CTR candidates at the threshold edges and across the month boundary', { timeout: 120_000 }, async () => {
  const d1 = await addUser(admin, 'distributor');
  const d2 = await addUser(admin, 'distributor');
  const s1 = await addUser(admin, 'distributor');
  const s2 = await addUser(admin, 'distributor');
  const r2 = await addUser(s2.api, 'retailer');
  const r3 = await addUser(d2.api, 'retailer');
  names = new Map(Object.entries({ d1, d2, s1, s2, r2, r3 }).map(([n, m]) => [m.id, n]));

  // 31 January 2027, 23:00 IST.
  await setClock('2027-01-31T23:00:00+05:30');
  await fund(admin, d1, 600_000_00); // half of ₹10 lakh...
  await fund(admin, s1, 49_999_99); // a paisa below the single threshold

  // 1 February 2027, 00:05 IST.
  await setClock('2027-02-01T00:05:00+05:30');
  await fund(admin, d1, 400_000_00); // ...and the rest in the next month: no cumulative item
  await fund(admin, d2, 600_000_00);
  await fund(admin, d2, 400_000_00); // exactly ₹10,00,000 of credits in February
  await transfer(d2, r3, 999_999_99); // ₹9,99,999.99 of debits: no cumulative item
  await fund(admin, s2, 99_999_99);
  await transfer(s2, r2, 49_999_99); // below the single threshold on both sides
  await fund(s2.api, r2, 50_000_00); // exactly the single threshold: a bank top-up approved by the upline

  const january = [['d1', 'single', null, 600_000_00, ['topup credit 60000000']]];
  assert.deepEqual(shape(await report('/v1/compliance/str-candidates', '2027-01'), names), january);
  assert.deepEqual(shape(await report('/v1/compliance/ctr', '2027-01'), names), january);

  const strFebruary = [
    ['d1', 'single', null, 400_000_00, ['topup credit 40000000']],
    ['d2', 'cumulative', 'credit', 1_000_000_00, ['topup credit 60000000', 'topup credit 40000000']],
    [
      'd2',
      'single',
      null,
      999_999_99,
      ['topup credit 60000000', 'topup credit 40000000', 'downline_credit debit 99999999'],
    ],
    ['r2', 'single', null, 50_000_00, ['topup_by_upline credit 5000000']],
    ['r3', 'single', null, 999_999_99, ['downline_credit credit 99999999']],
    ['s2', 'single', null, 99_999_99, ['topup credit 9999999', 'topup_by_upline debit 5000000']],
  ];
  assert.deepEqual(shape(await report('/v1/compliance/str-candidates', '2027-02'), names), sorted(strFebruary));

  // Cash-like credits only: bank top-ups (by the platform or an upline), never a downline credit.
  assert.deepEqual(
    shape(await report('/v1/compliance/ctr', '2027-02'), names),
    sorted([
      ['d1', 'single', null, 400_000_00, ['topup credit 40000000']],
      ['d2', 'cumulative', 'credit', 1_000_000_00, ['topup credit 60000000', 'topup credit 40000000']],
      ['d2', 'single', null, 600_000_00, ['topup credit 60000000', 'topup credit 40000000']],
      ['r2', 'single', null, 50_000_00, ['topup_by_upline credit 5000000']],
      ['s2', 'single', null, 99_999_99, ['topup credit 9999999']],
    ]),
  );

  // Transfers carry the ledger's time, inside the month asked for.
  for (const item of await report('/v1/compliance/str-candidates', '2027-02')) {
    for (const t of item.transfers) {
      assert.ok(t.at >= '2027-01-31T18:30:00.000Z' && t.at < '2027-02-28T18:30:00.000Z', t.at);
      assert.match(t.transferId, /.+/);
    }
  }
  assert.deepEqual(await report('/v1/compliance/str-candidates', '2027-03'), []);
});

test('CSV: the fixed column layout, one line per qualifying transfer, by Accept or format=csv', async () => {
  const json = await report('/v1/compliance/str-candidates', '2027-02');
  const lines = json.flatMap((i) =>
    i.transfers.map((t) =>
      [
        i.userId,
        i.reason,
        i.direction ?? '',
        String(i.amount),
        t.transferId,
        t.kind,
        t.direction,
        String(t.amount),
      ].join('|'),
    ),
  );
  for (const ask of [
    () => admin.get('/v1/compliance/str-candidates?month=2027-02', { Accept: 'text/csv' }),
    () => admin.get('/v1/compliance/str-candidates?month=2027-02&format=csv'),
  ]) {
    const r = await ask();
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(r.headers.get('content-disposition') ?? '', /str-candidates-2027-02\.csv/);
    const [header, ...rows] = (r.body as unknown as string).trimEnd().split('\n');
    assert.equal(header, candidateColumns.join(','));
    assert.equal(
      header,
      'month,userId,name,role,reason,direction,totalAmount,transferId,at,kind,transferDirection,transferAmount,reference',
    );
    const cells = rows.map((row) => row.split(','));
    assert.ok(cells.every((c) => c.length === candidateColumns.length && c[0] === '2027-02'));
    const col = (name: (typeof candidateColumns)[number]) => candidateColumns.indexOf(name);
    assert.deepEqual(
      cells
        .map((c) =>
          [
            c[col('userId')],
            c[col('reason')],
            c[col('direction')],
            c[col('totalAmount')],
            c[col('transferId')],
            c[col('kind')],
            c[col('transferDirection')],
            c[col('transferAmount')],
          ].join('|'),
        )
        .sort(),
      lines.sort(),
    );
  }
  const ctr = await admin.get('/v1/compliance/ctr?month=2027-01&format=csv');
  const rows = (ctr.body as unknown as string).trimEnd().split('\n');
  assert.equal(rows.length, 2);
  assert.match(
    rows[1]!,
    /^2027-01,usr_[a-z0-9]+,distributor [^,]+,distributor,single,,60000000,topup:[^,]+,2027-01-31T17:3\d:[0-9.]+Z,topup,credit,60000000,topup:/,
  );
  // An explicit format=json wins over Accept.
  const j = await admin.get('/v1/compliance/ctr?month=2027-01&format=json', { Accept: 'text/csv' });
  assert.match(j.headers.get('content-type') ?? '', /json/);
});

test('admin and support read them; nobody else; a bad month is a 400', async () => {
  const support = await addUser(admin, 'support');
  const dist = await addUser(admin, 'distributor');
  const ret = await addUser(dist.api, 'retailer');
  for (const path of ['/v1/compliance/str-candidates', '/v1/compliance/ctr']) {
    assert.equal(shape(await report(path, '2027-02', support.api), names).length > 0, true);
    for (const who of [dist, ret]) {
      expectError(await who.api.get(`${path}?month=2027-02`), 403, 'FORBIDDEN');
      expectError(await who.api.get(`${path}?month=2027-02&format=csv`), 403, 'FORBIDDEN');
    }
    for (const month of ['', '2027-2', '2027-13', '2027-00', '27-02', '2027-02-01', '1969-12', '9999-12']) {
      expectError(await admin.get(`${path}?month=${month}`), 400, 'VALIDATION_FAILED');
    }
    expectError(await admin.get(path), 400, 'VALIDATION_FAILED');
    expectError(await admin.get(`${path}?month=2027-02&format=xml`), 400, 'VALIDATION_FAILED');
    const anon = await new ApiClient(stack.api.url).get(`${path}?month=2027-02`);
    expectError(anon, 401, 'UNAUTHENTICATED');
  }
});
