import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger, systemAccounts, walletAccountId } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { testDb, uniq } from '../support/db';
import { addUser, balanceOf, expectError, fund, ghostId, type Member, buildTree } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let ledger: Ledger;
let admin: ApiClient;
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
  admin = new ApiClient(stack.api.url, await adminKey(db));
  ({ dist, ret, ret2, md, mdist, mret, dist2, ret3, support } = await buildTree(admin));
  await fund(admin, dist, 500_000);
  await fund(admin, md, 100_000);
  await fund(admin, dist2, 100_000);
});
after(async () => {
  await stack.stop();
  await ledger.close();
  await db.destroy();
});

const transfer = (api: ApiClient, fromUserId: string, toUserId: string, amount: unknown, note?: string) =>
  api.post('/v1/transfers', { fromUserId, toUserId, amount, ...(note ? { note } : {}) });

/** Every wallet of the file and the number of ledger transfers: what a refused request must leave alone. */
async function snapshot() {
  const wallets = await db('ledger_accounts')
    .whereIn(
      'id',
      [dist, ret, ret2, md, mdist, mret, dist2, ret3].map((m) => walletAccountId(m.id)),
    )
    .orderBy('id')
    .select('id', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending');
  const transfers = Number((await db('ledger_transfers').count('* as n'))[0]!.n);
  return { wallets, transfers };
}

describe('GET /v1/wallets/:userId', () => {
  test('balance, held and available to the paisa; available = balance - held', async () => {
    const r = await addUser(dist.api, 'retailer');
    assert.equal((await transfer(dist.api, dist.id, r.id, 12_345)).status, 201);
    assert.deepEqual((await r.api.get(`/v1/wallets/${r.id}`)).body, {
      userId: r.id,
      currency: 'INR',
      balance: 12_345,
      held: 0,
      available: 12_345,
      dues: 0,
    });
    // A hold (as a recharge makes) shows as held and limits what can be moved.
    const holdId = `test:${uniq()}:hold`;
    await ledger.createTransfer({
      id: holdId,
      debitAccountId: walletAccountId(r.id),
      creditAccountId: systemAccounts.revenue,
      amount: 10_000n,
      kind: 'test_hold',
      pending: true,
    });
    assert.deepEqual((await r.api.get(`/v1/wallets/${r.id}`)).body, {
      userId: r.id,
      currency: 'INR',
      balance: 12_345,
      held: 10_000,
      available: 2_345,
      dues: 0,
    });
    expectError(await transfer(dist.api, r.id, dist.id, 2_346), 422, 'INSUFFICIENT_FUNDS');
    assert.equal((await transfer(dist.api, r.id, dist.id, 2_345)).status, 201);
    await ledger.createTransfer({ id: `${holdId}:void`, void: true, pendingId: holdId });
    assert.deepEqual((await r.api.get(`/v1/wallets/${r.id}`)).body, {
      userId: r.id,
      currency: 'INR',
      balance: 10_000,
      held: 0,
      available: 10_000,
      dues: 0,
    });
  });

  test('readable by the owner, its uplines, admin and support; 404 for everyone else and for missing ids', async () => {
    for (const api of [ret.api, dist.api, admin, support.api])
      assert.equal((await api.get(`/v1/wallets/${ret.id}`)).status, 200);
    assert.equal((await md.api.get(`/v1/wallets/${mret.id}`)).status, 200);
    const ghost = await admin.get(`/v1/wallets/${ghostId('usr')}`);
    expectError(ghost, 404, 'NOT_FOUND');
    for (const [who, id] of [
      [ret, ret2.id],
      [ret, dist.id],
      [dist, ret3.id],
      [dist, md.id],
      [mdist, md.id],
      [dist2, ret.id],
    ] as const) {
      const r = await who.api.get(`/v1/wallets/${id}`);
      assert.deepEqual([r.status, r.body], [404, ghost.body], `${who.role} reading ${id}`);
    }
    expectError(await admin.get(`/v1/wallets/${support.id}`), 404, 'NOT_FOUND');
    expectError(await admin.get('/v1/wallets/not-an-id!'), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get(`/v1/wallets/${ret.id}`), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /v1/transfers', () => {
  test('credit down and pull back up move the exact amount and answer the transfer', async () => {
    const [d0, r0] = [await balanceOf(admin, dist.id), await balanceOf(admin, ret.id)];
    const down = await transfer(dist.api, dist.id, ret.id, 50_050, 'float for the weekend');
    assert.equal(down.status, 201, JSON.stringify(down.body));
    const { id, createdAt, ...rest } = down.body;
    assert.match(id as string, /^xfer:/);
    assert.ok(!Number.isNaN(Date.parse(createdAt as string)));
    assert.deepEqual(rest, {
      status: 'completed',
      direction: 'down',
      fromUserId: dist.id,
      toUserId: ret.id,
      amount: 50_050,
      note: 'float for the weekend',
    });
    assert.equal(await balanceOf(admin, dist.id), d0 - 50_050);
    assert.equal(await balanceOf(admin, ret.id), r0 + 50_050);

    const up = await transfer(dist.api, ret.id, dist.id, 10_050);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.direction, 'up');
    assert.equal(up.body.note, null);
    assert.equal(await balanceOf(admin, dist.id), d0 - 40_000);
    assert.equal(await balanceOf(admin, ret.id), r0 + 40_000);
  });

  test('an admin moves money down and up between any user and its downline', async () => {
    const r = await addUser(dist.api, 'retailer');
    const d0 = await balanceOf(admin, dist.id);
    assert.equal((await transfer(admin, dist.id, r.id, 700)).status, 201);
    assert.equal((await transfer(admin, r.id, dist.id, 300)).status, 201);
    assert.equal(await balanceOf(admin, r.id), 400);
    assert.equal(await balanceOf(admin, dist.id), d0 - 400);
  });

  test('an admin pulls back into its own wallet and credits down from it', async () => {
    const adminId = ((await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')) as { id: string })
      .id;
    const [a0, d0] = [await balanceOf(admin, adminId), await balanceOf(admin, dist.id)];
    const up = await transfer(admin, dist.id, adminId, 900);
    assert.deepEqual([up.status, up.body.direction], [201, 'up'], JSON.stringify(up.body));
    assert.deepEqual([await balanceOf(admin, adminId), await balanceOf(admin, dist.id)], [a0 + 900, d0 - 900]);
    const down = await transfer(admin, adminId, dist.id, 900);
    assert.deepEqual([down.status, down.body.direction], [201, 'down'], JSON.stringify(down.body));
    assert.deepEqual([await balanceOf(admin, adminId), await balanceOf(admin, dist.id)], [a0, d0]);
  });

  test('credit goes down the whole downline from one’s own wallet; only the direct upline pulls back', async () => {
    assert.equal((await transfer(md.api, md.id, mret.id, 1_000)).status, 201, 'to a grandchild');
    assert.equal((await transfer(md.api, md.id, mdist.id, 2_000)).status, 201);
    const before = await snapshot();
    expectError(await transfer(md.api, mret.id, md.id, 1), 403, 'FORBIDDEN');
    expectError(await transfer(md.api, mret.id, mdist.id, 1), 403, 'FORBIDDEN');
    expectError(await transfer(md.api, mdist.id, mret.id, 1), 403, 'FORBIDDEN');
    assert.deepEqual(await snapshot(), before);
    assert.equal((await transfer(mdist.api, mret.id, mdist.id, 400)).status, 201);
    assert.equal((await transfer(md.api, mdist.id, md.id, 2_400)).status, 201);
    assert.deepEqual(
      [await balanceOf(admin, md.id), await balanceOf(admin, mdist.id), await balanceOf(admin, mret.id)],
      [100_000 - 1_000 - 2_000 + 2_400, 0, 600],
    );
  });

  test('refused transfers (400, 401, 403, 404, 422) change nothing', async () => {
    const before = await snapshot();
    const bal = await balanceOf(admin, dist.id);
    const cases: Array<[string, Promise<Parameters<typeof expectError>[0]>, number, string]> = [
      ['zero', transfer(dist.api, dist.id, ret.id, 0), 400, 'VALIDATION_FAILED'],
      ['negative', transfer(dist.api, dist.id, ret.id, -100), 400, 'VALIDATION_FAILED'],
      ['fractional paise', transfer(dist.api, dist.id, ret.id, 10.5), 400, 'VALIDATION_FAILED'],
      ['amount as text', transfer(dist.api, dist.id, ret.id, '100'), 400, 'VALIDATION_FAILED'],
      ['beyond 2^53', transfer(dist.api, dist.id, ret.id, 2 ** 53), 400, 'VALIDATION_FAILED'],
      ['to itself', transfer(dist.api, dist.id, dist.id, 100), 400, 'VALIDATION_FAILED'],
      ['malformed id', transfer(dist.api, dist.id, 'x y', 100), 400, 'VALIDATION_FAILED'],
      ['long note', transfer(dist.api, dist.id, ret.id, 100, 'n'.repeat(501)), 400, 'VALIDATION_FAILED'],
      ['no body', dist.api.post('/v1/transfers', {}), 400, 'VALIDATION_FAILED'],
      [
        'no Idempotency-Key',
        dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 100 }, false),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'Idempotency-Key of 129 characters',
        dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 100 }, 'k'.repeat(129)),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'no key',
        new ApiClient(stack.api.url).post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 1 }),
        401,
        'UNAUTHENTICATED',
      ],
      ['support moves nothing', transfer(support.api, dist.id, ret.id, 100), 403, 'FORBIDDEN'],
      ['between siblings', transfer(dist.api, ret.id, ret2.id, 100), 403, 'FORBIDDEN'],
      ['admin between siblings', transfer(admin, ret.id, ret2.id, 100), 403, 'FORBIDDEN'],
      ['a retailer pushing up', transfer(ret.api, ret.id, dist.id, 100), 404, 'NOT_FOUND'],
      ['a retailer to a sibling', transfer(ret.api, ret.id, ret2.id, 100), 404, 'NOT_FOUND'],
      ['into another tree', transfer(dist.api, dist.id, ret3.id, 100), 404, 'NOT_FOUND'],
      ['out of another tree', transfer(dist2.api, ret.id, dist2.id, 100), 404, 'NOT_FOUND'],
      ['to a missing user', transfer(dist.api, dist.id, ghostId('usr'), 100), 404, 'NOT_FOUND'],
      ['more than the balance', transfer(dist.api, dist.id, ret.id, bal + 1), 422, 'INSUFFICIENT_FUNDS'],
    ];
    for (const [what, reply, status, code] of cases) {
      const r = await reply;
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      expectError(r, status, code);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('a transfer past the receiver’s balance cap is 422 LIMIT_EXCEEDED and moves nothing', async () => {
    const r = await addUser(dist.api, 'retailer');
    await ledger.setAccountCap(walletAccountId(r.id), 1_000n);
    assert.equal((await transfer(dist.api, dist.id, r.id, 1_000)).status, 201);
    const before = await snapshot();
    expectError(await transfer(dist.api, dist.id, r.id, 1), 422, 'LIMIT_EXCEEDED');
    assert.deepEqual(await snapshot(), before);
    assert.equal(await balanceOf(admin, r.id), 1_000);
  });

  test('a suspended user moves no money, sending or receiving, whoever asks', async () => {
    const r = await addUser(dist.api, 'retailer');
    assert.equal((await transfer(dist.api, dist.id, r.id, 5_000)).status, 201);

    await admin.post(`/v1/users/${dist.id}/suspend`, {}, false);
    let before = await snapshot();
    expectError(await transfer(dist.api, dist.id, r.id, 100), 422, 'USER_SUSPENDED');
    expectError(await transfer(dist.api, r.id, dist.id, 100), 422, 'USER_SUSPENDED');
    expectError(await transfer(admin, dist.id, r.id, 100), 422, 'USER_SUSPENDED');
    assert.equal((await dist.api.get(`/v1/wallets/${dist.id}`)).status, 200, 'reads still work');
    assert.deepEqual(await snapshot(), before);
    await admin.post(`/v1/users/${dist.id}/activate`, {}, false);

    await dist.api.post(`/v1/users/${r.id}/suspend`, {}, false);
    before = await snapshot();
    expectError(await transfer(dist.api, dist.id, r.id, 100), 422, 'USER_SUSPENDED');
    expectError(await transfer(dist.api, r.id, dist.id, 100), 422, 'USER_SUSPENDED');
    assert.deepEqual(await snapshot(), before);
    await dist.api.post(`/v1/users/${r.id}/activate`, {}, false);
    assert.equal((await transfer(dist.api, r.id, dist.id, 5_000)).status, 201);
    assert.equal(await balanceOf(admin, r.id), 0);
  });
});

interface Item {
  transferId: string;
  at: string;
  kind: string;
  amount: number;
  direction: 'debit' | 'credit';
  balanceAfter: number;
  reference: string | null;
}
type Statement = { items: Item[]; nextCursor: string | null };

describe('GET /v1/wallets/:userId/statement', () => {
  let d: Member;
  let r: Member;
  let full: Item[];
  const pause = () => new Promise((ok) => setTimeout(ok, 15));

  before(async () => {
    d = await addUser(admin, 'distributor');
    r = await addUser(d.api, 'retailer');
    const topup = await fund(admin, d, 100_000);
    await pause();
    const t1 = await transfer(d.api, d.id, r.id, 10_000);
    await pause();
    const t2 = await transfer(d.api, d.id, r.id, 2_500);
    await pause();
    const t3 = await transfer(d.api, r.id, d.id, 500);
    const s = await d.api.get<Statement>(`/v1/wallets/${d.id}/statement?limit=200`);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    full = s.body.items;
    assert.equal(s.body.nextCursor, null);
    assert.deepEqual(
      full.map(({ transferId, kind, amount, direction, balanceAfter, reference }) => ({
        transferId,
        kind,
        amount,
        direction,
        balanceAfter,
        reference,
      })),
      [
        {
          transferId: t3.body.id,
          kind: 'upline_pull',
          amount: 500,
          direction: 'credit',
          balanceAfter: 88_000,
          reference: `transfer:${r.id}:${d.id}`,
        },
        {
          transferId: t2.body.id,
          kind: 'downline_credit',
          amount: 2_500,
          direction: 'debit',
          balanceAfter: 87_500,
          reference: `transfer:${d.id}:${r.id}`,
        },
        {
          transferId: t1.body.id,
          kind: 'downline_credit',
          amount: 10_000,
          direction: 'debit',
          balanceAfter: 90_000,
          reference: `transfer:${d.id}:${r.id}`,
        },
        {
          transferId: `topup:${topup.id as string}`,
          kind: 'topup',
          amount: 100_000,
          direction: 'credit',
          balanceAfter: 100_000,
          reference: `topup:${topup.id as string}`,
        },
      ],
    );
  });

  test('newest first with a running balance that adds up entry by entry', () => {
    for (let i = 0; i < full.length - 1; i++) {
      const [now, prev] = [full[i]!, full[i + 1]!];
      assert.ok(Date.parse(now.at) >= Date.parse(prev.at));
      assert.equal(now.balanceAfter, prev.balanceAfter + (now.direction === 'credit' ? now.amount : -now.amount));
    }
  });

  test('the retailer’s side of the same transfers', async () => {
    const s = await r.api.get<Statement>(`/v1/wallets/${r.id}/statement`);
    assert.deepEqual(
      s.body.items.map((i) => [i.direction, i.amount, i.balanceAfter]),
      [
        ['debit', 500, 12_000],
        ['credit', 2_500, 12_500],
        ['credit', 10_000, 10_000],
      ],
    );
  });

  test('cursor pagination returns every entry once, in order', async () => {
    const seen: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Statement = (
        await d.api.get<Statement>(`/v1/wallets/${d.id}/statement?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, full);
  });

  test('a time range is [from, to)', async () => {
    const from = full[2]!.at;
    const to = full[0]!.at;
    const s = await d.api.get<Statement>(
      `/v1/wallets/${d.id}/statement?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.deepEqual(
      s.body.items,
      full.filter((i) => i.at >= from && i.at < to),
    );
    assert.deepEqual(
      s.body.items.map((i) => i.amount),
      [2_500, 10_000],
    );
    const later = await d.api.get<Statement>(`/v1/wallets/${d.id}/statement?from=2999-01-01T00:00:00Z`);
    assert.deepEqual(later.body, { items: [], nextCursor: null });
  });

  test('CSV with Accept: text/csv, the same rows as JSON', async () => {
    const csv = await d.api.get(`/v1/wallets/${d.id}/statement`, { Accept: 'text/csv' });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment/);
    const lines = (csv.body as unknown as string).trimEnd().split('\n');
    assert.equal(lines[0], 'transferId,at,kind,amount,direction,balanceAfter,reference');
    assert.deepEqual(
      lines.slice(1),
      full.map((i) => [i.transferId, i.at, i.kind, i.amount, i.direction, i.balanceAfter, i.reference].join(',')),
    );
    const ranged = await d.api.get(`/v1/wallets/${d.id}/statement?from=${encodeURIComponent(full[1]!.at)}`, {
      Accept: 'text/csv',
    });
    assert.equal(
      (ranged.body as unknown as string).trimEnd().split('\n').length,
      1 + full.filter((i) => i.at >= full[1]!.at).length,
    );
  });

  test('out of scope is 404 (JSON or CSV); support and uplines read; bad queries are 400', async () => {
    assert.equal((await support.api.get(`/v1/wallets/${r.id}/statement`)).status, 200);
    assert.equal((await d.api.get(`/v1/wallets/${r.id}/statement`)).status, 200);
    for (const api of [r.api, dist.api, ret.api]) {
      expectError(await api.get(`/v1/wallets/${d.id}/statement`), 404, 'NOT_FOUND');
      expectError(await api.get(`/v1/wallets/${d.id}/statement`, { Accept: 'text/csv' }), 404, 'NOT_FOUND');
    }
    expectError(await d.api.get(`/v1/wallets/${ghostId('usr')}/statement`), 404, 'NOT_FOUND');
    expectError(await admin.get(`/v1/wallets/${support.id}/statement`), 404, 'NOT_FOUND');
    for (const q of [
      'from=yesterday',
      'to=2024-13-01T00:00:00Z',
      'cursor=garbage',
      'limit=0',
      'limit=201',
      'from=2024-01-01',
    ]) {
      expectError(await d.api.get(`/v1/wallets/${d.id}/statement?${q}`), 400, 'VALIDATION_FAILED');
    }
    expectError(await new ApiClient(stack.api.url).get(`/v1/wallets/${d.id}/statement`), 401, 'UNAUTHENTICATED');
  });
});
