import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/knex';
import { Ledger, walletAccount, walletAccountId, type TransferResult } from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

/** Concurrent post and void of the same hold: exactly one wins, from separate processes' pools and within one batch. */
describe('ledger races', () => {
  const dbs: Db[] = [];
  const ledgers: Ledger[] = [];
  const p = uniq('race');
  const float = `${p}:float`;
  const provider = `${p}:provider`;
  const w = walletAccountId(p);

  before(async () => {
    for (let i = 0; i < 3; i++) {
      const db = testDb(4);
      dbs.push(db);
      ledgers.push(new Ledger(db));
    }
    await ledgers[0]!.createAccounts([
      { id: float, kind: 'float', normalSide: 'debit' },
      { id: provider, kind: 'provider' },
      walletAccount(p),
    ]);
    await ledgers[0]!.createTransfer({
      id: `${p}:fund`,
      debitAccountId: float,
      creditAccountId: w,
      amount: 1_000_000n,
      kind: 'topup',
    });
  });
  after(async () => {
    for (const l of ledgers) await l.close();
    for (const db of dbs) await db.destroy();
  });

  /** A hold of `amount` on the wallet, for the provider. */
  const holdOn = (ledger: Ledger, id: string, amount: bigint) =>
    ledger.createTransfer({ id, debitAccountId: w, creditAccountId: provider, amount, kind: 'hold', pending: true });
  const outcome = (r: TransferResult) => (r.status === 'failed' ? r.error.code : r.status);

  test('post vs void of one hold, 40 rounds across processes: exactly one wins', async () => {
    const [l0, l1, l2] = ledgers as [Ledger, Ledger, Ledger];
    let postWins = 0;
    let voidWins = 0;
    for (let i = 0; i < 40; i++) {
      const hold = `${p}:h${i}`;
      await holdOn(l0, hold, 100n);
      const [a, b, c] = await Promise.all([
        i % 2
          ? l1.createTransfers([{ id: `${hold}:post`, post: true, pendingId: hold, kind: 'capture' }])
          : l2.createTransfers([{ id: `${hold}:void`, void: true, pendingId: hold }]),
        i % 2
          ? l2.createTransfers([{ id: `${hold}:void`, void: true, pendingId: hold }])
          : l1.createTransfers([{ id: `${hold}:post`, post: true, pendingId: hold, kind: 'capture' }]),
        // a third contender: a second post with another id, in the first process
        l0.createTransfers([{ id: `${hold}:post2`, post: true, pendingId: hold, amount: 50n, kind: 'capture' }]),
      ]);
      const outs = [a![0]!, b![0]!, c![0]!].map(outcome);
      assert.equal(outs.filter((o) => o === 'created').length, 1, `round ${i}: ${outs.join(',')}`);
      assert.equal(outs.filter((o) => o === 'PENDING_ALREADY_RESOLVED').length, 2, `round ${i}: ${outs.join(',')}`);
      const winner = [a![0]!, b![0]!, c![0]!].find((r) => r.status === 'created')!;
      if (winner.status === 'created' && winner.transfer.type === 'void_pending') voidWins++;
      else postWins++;
    }
    assert.ok(postWins + voidWins === 40);
    const bal = await l0.balance(w);
    assert.equal(bal.held, 0n);
    const rows = await dbs[0]!.raw(`select count(*)::int n from ledger_transfers where pending_id like ?`, [`${p}:h%`]);
    assert.equal(rows.rows[0].n, 40);
  });

  test('post and void of one hold submitted in the same batch: exactly one wins', async () => {
    const l0 = ledgers[0]!;
    for (let i = 0; i < 10; i++) {
      const hold = `${p}:s${i}`;
      await holdOn(l0, hold, 10n);
      const res = await Promise.all([
        l0.createTransfers([{ id: `${hold}:post`, post: true, pendingId: hold, kind: 'capture' }]),
        l0.createTransfers([{ id: `${hold}:void`, void: true, pendingId: hold }]),
      ]);
      const outs = res.map((r) => outcome(r[0]!)).sort();
      assert.deepEqual(outs, ['PENDING_ALREADY_RESOLVED', 'created']);
    }
  });

  test('many concurrent spenders never overdraw one wallet', async () => {
    const q = uniq('spend');
    const sw = walletAccountId(q);
    await ledgers[0]!.createAccounts([walletAccount(q)]);
    await ledgers[0]!.createTransfer({
      id: `${q}:fund`,
      debitAccountId: float,
      creditAccountId: sw,
      amount: 1_000n,
      kind: 'topup',
    });
    const res = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ledgers[i % 3]!.createTransfers([
          {
            id: `${q}:s${i}`,
            debitAccountId: sw,
            creditAccountId: provider,
            amount: 50n,
            kind: 'spend',
            pending: i % 2 === 0,
          },
        ]),
      ),
    );
    const created = res.filter((r) => r[0]!.status === 'created').length;
    assert.equal(created, 20);
    assert.ok(
      res.every(
        (r) => r[0]!.status === 'created' || (r[0]!.status === 'failed' && r[0]!.error.code === 'INSUFFICIENT_FUNDS'),
      ),
    );
    assert.equal((await ledgers[1]!.balance(sw)).available, 0n);
  });

  test('a cap lowered (in another process) while a batch awaits its write is honoured: the batch retries', async () => {
    const q = uniq('cap');
    const cw = walletAccountId(q);
    await ledgers[0]!.createAccounts([walletAccount(q, { cap: 10_000n })]);
    const capper = dbs[1]!;
    const trx = await capper.transaction();
    try {
      await trx('ledger_accounts').where({ id: cw }).update({ balance_cap: '500' });
      const xid = (await trx.raw(`select pg_current_xact_id()::text as xid`)).rows[0].xid as string;
      // validated against the cap it can see (10,000), the batch then waits for the row
      const pending = ledgers[0]!.createTransfers([
        { id: `${q}:in`, debitAccountId: float, creditAccountId: cw, amount: 1_000n, kind: 'topup' },
      ]);
      let blocked = false;
      for (let i = 0; i < 100 && !blocked; i++) {
        const r = await dbs[2]!.raw(
          `select count(*)::int as n from pg_locks where locktype = 'transactionid' and not granted and transactionid::text = ?`,
          [xid],
        );
        blocked = r.rows[0].n > 0;
        if (!blocked) await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(blocked, 'the posting batch never waited for the account row');
      await trx.commit();
      const [r] = await pending;
      assert.equal(outcome(r!), 'LIMIT_EXCEEDED');
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
    }
    assert.equal((await ledgers[1]!.balance(cw)).posted, 0n);
  });
});
