import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/knex';
import {
  accountBalances,
  debitBalancesOfKind,
  isHoldResolved,
  Ledger,
  netIntoAccountByReference,
  outstandingHolds,
  type TransferInput,
} from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

/** The ledger's read API for src/ops (src/ledger/queries.ts) against the real tables. */
describe('ledger read queries (PostgreSQL)', () => {
  let db: Db;
  let ledger: Ledger;
  const p = uniq('lq');
  const float = `${p}:float`;
  const settle = `${p}:settle`;
  const other = `${p}:other`;
  const tid = (s: string) => `${p}:${s}`;
  const move = (id: string, from: string, to: string, amount: bigint, extra: Partial<TransferInput> = {}) =>
    ({ id: tid(id), debitAccountId: from, creditAccountId: to, amount, kind: 'test', ...extra }) as TransferInput;

  before(async () => {
    db = testDb(4);
    ledger = new Ledger(db);
    await ledger.createAccounts([
      { id: float, kind: 'platform_float', normalSide: 'debit' },
      { id: settle, kind: 'provider_settlement' },
      { id: other, kind: 'provider_settlement' },
      { id: `${p}:owes-a`, kind: `${p}dues`, normalSide: 'debit' },
      { id: `${p}:owes-b`, kind: `${p}dues`, normalSide: 'debit' },
    ]);
  });
  after(async () => {
    await ledger.close();
    await db.destroy();
  });

  test('outstanding holds: pending, neither posted nor voided, newest first, filtered by id', async () => {
    await ledger.createTransfer(move('h1', float, settle, 100n, { pending: true, reference: `${p}:r1` }));
    await ledger.createTransfer(move('h2', float, settle, 200n, { pending: true }));
    await ledger.createTransfer(move('h3', float, settle, 300n, { pending: true }));
    await ledger.createTransfer(move('plain', float, settle, 50n));
    await ledger.createTransfer({
      id: tid('h2:post'),
      post: true,
      pendingId: tid('h2'),
      kind: 'test',
    } as TransferInput);
    await ledger.createTransfer({
      id: tid('h3:void'),
      void: true,
      pendingId: tid('h3'),
      kind: 'test',
    } as TransferInput);

    const mine = (await outstandingHolds(db)).filter((h) => h.id.startsWith(p));
    assert.deepEqual(
      mine.map((h) => [h.id, h.amount, h.reference]),
      [[tid('h1'), 100n, `${p}:r1`]],
    );
    const byId = await outstandingHolds(db, { ids: [tid('h1'), tid('h2'), tid('h3'), tid('plain'), tid('none')] });
    assert.deepEqual(
      byId.map((h) => h.id),
      [tid('h1')],
    );
    assert.deepEqual(await outstandingHolds(db, { ids: [] }), []);
    assert.equal(await isHoldResolved(db, tid('h1')), false);
    assert.equal(await isHoldResolved(db, tid('h2')), true);
    assert.equal(await isHoldResolved(db, tid('h3')), true);
  });

  test('account balances by id and by prefix; a prefix is matched literally', async () => {
    await ledger.createTransfer(move('b1', float, other, 70n));
    await ledger.createTransfer(move('b2', other, float, 20n));
    const [o] = await accountBalances(db, { ids: [other] });
    assert.equal(o?.creditsPosted, 70n);
    assert.equal(o?.debitsPosted, 20n);
    const prefixed = await accountBalances(db, { idPrefix: `${p}:` });
    assert.deepEqual(prefixed.map((a) => a.id).sort(), [float, other, `${p}:owes-a`, `${p}:owes-b`, settle].sort());
    assert.deepEqual(await accountBalances(db, { idPrefix: `${p}%` }), []);
    assert.deepEqual(await accountBalances(db, { idPrefix: `${p.slice(0, -1)}_` }), []);
  });

  test('debit balances of a kind: only the accounts owing, totalled in the database', async () => {
    await ledger.createTransfer(move('d1', `${p}:owes-a`, float, 40n));
    await ledger.createTransfer(move('d2', `${p}:owes-b`, float, 10n));
    await ledger.createTransfer(move('d3', float, `${p}:owes-b`, 10n));
    const rows = (await db.from(debitBalancesOfKind(db, `${p}dues`).as('o')).select('id', 'balance')) as Array<{
      id: string;
      balance: bigint;
    }>;
    assert.deepEqual(
      rows.map((r) => [r.id, BigInt(r.balance)]),
      [[`${p}:owes-a`, 40n]],
    );
  });

  test('net moved into an account per reference: credits minus debits, other accounts ignored', async () => {
    const ref = (r: string) => `${p}:ref:${r}`;
    const s1 = await ledger.createTransfer(move('s1', float, settle, 500n, { reference: ref('1') }));
    await ledger.createTransfer(move('s1r', settle, float, 500n, { reference: ref('1'), reversalOf: s1.id }));
    await ledger.createTransfer(move('s2', float, settle, 300n, { reference: ref('2') }));
    await ledger.createTransfer(move('s2o', float, other, 999n, { reference: ref('2') }));
    await ledger.createTransfer(move('s3', float, settle, 80n, { reference: ref('3'), pending: true }));
    const moved = netIntoAccountByReference(db, settle, db.raw('? || r.k', [`${p}:ref:`]));
    const rows = (
      (await db.raw(
        `select r.k, s.net, s.n, s.last_at from (values ('1'), ('2'), ('3'), ('4')) r(k) cross join lateral (?) s order by r.k`,
        [moved],
      )) as { rows: Array<{ k: string; net: bigint; n: number; last_at: Date | null }> }
    ).rows;
    assert.deepEqual(
      rows.map((r) => [r.k, BigInt(r.net), r.n, r.last_at !== null]),
      [
        ['1', 0n, 2, true],
        ['2', 300n, 1, true],
        ['3', 0n, 0, false],
        ['4', 0n, 0, false],
      ],
    );
  });
});
