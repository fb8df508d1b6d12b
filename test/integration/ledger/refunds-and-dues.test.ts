import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/knex';
import {
  duesAccount,
  duesAccountId,
  Ledger,
  LedgerError,
  walletAccount,
  walletAccountId,
  type TransferInput,
} from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

/**
 * Issue 10 on PostgreSQL: refunds exempt from balance caps, balancing transfers (clamped to what
 * the accounts allow, down to zero) and dues accounts, through the real posting path.
 */
describe('ledger: cap-exempt refunds, balancing transfers, dues (PostgreSQL)', () => {
  const dbs: Db[] = [];
  const ledgers: Ledger[] = [];
  let db: Db;
  let ledger: Ledger;
  const p = uniq('rd');
  const float = `${p}:float`;
  const provider = `${p}:provider`;
  const expense = `${p}:expense`;
  const tid = (s: string) => `${p}:${s}`;
  const wallet = (u: string) => walletAccountId(`${p}${u}`);
  const dues = (u: string) => duesAccountId(`${p}${u}`);
  const move = (id: string, from: string, to: string, amount: bigint, extra: Partial<TransferInput> = {}) =>
    ({ id: tid(id), debitAccountId: from, creditAccountId: to, amount, kind: 'test', ...extra }) as TransferInput;
  const available = async (id: string) => (await ledger.balance(id)).available;

  async function rejectsCode(p: Promise<unknown>, code: string, field?: string): Promise<void> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof LedgerError, String(e));
      assert.equal(e.code, code, e.message);
      if (field) assert.equal(e.data.field, field);
      return;
    }
    assert.fail(`expected ${code}`);
  }

  before(async () => {
    for (let i = 0; i < 3; i++) {
      dbs.push(testDb(4));
      ledgers.push(new Ledger(dbs[i]!));
    }
    db = dbs[0]!;
    ledger = ledgers[0]!;
    await ledger.createAccounts([
      { id: float, kind: 'platform_float', normalSide: 'debit' },
      { id: provider, kind: 'provider_settlement' },
      { id: expense, kind: 'commission_expense', normalSide: 'debit' },
    ]);
  });
  after(async () => {
    for (const l of ledgers) await l.close();
    for (const d of dbs) await d.destroy();
  });

  test('a refund exempt from caps reaches a wallet at its cap; loads stay capped; verify() is clean', async () => {
    await ledger.createAccounts([walletAccount(`${p}r`, { cap: 1_000n })]);
    const w = wallet('r');
    await ledger.createTransfer(move('load', float, w, 1_000n));
    const spend = await ledger.createTransfer(move('spend', w, provider, 300n));
    await ledger.createTransfer(move('reload', float, w, 300n));
    const refund = move('refund', provider, w, 300n, { reversalOf: spend.id });
    await rejectsCode(ledger.createTransfer(refund), 'LIMIT_EXCEEDED');
    const r = await ledger.createTransfer({ ...refund, exemptFromCap: true } as TransferInput);
    assert.equal(r.created, true);
    assert.equal(r.exemptFromCap, true);
    assert.deepEqual(await ledger.balance(w), { posted: 1_300n, held: 0n, available: 1_300n });
    assert.equal((await ledger.getTransfer(r.id))!.exemptFromCap, true);
    // the flag is part of the transfer's identity
    await rejectsCode(ledger.createTransfer(refund), 'IDEMPOTENCY_CONFLICT', 'exemptFromCap');
    assert.equal((await ledger.createTransfer({ ...refund, exemptFromCap: true } as TransferInput)).created, false);
    // above its cap, the wallet takes no load, even a small one, until it is back under the cap
    await rejectsCode(ledger.createTransfer(move('load2', float, w, 1n)), 'LIMIT_EXCEEDED');
    await ledger.createTransfer(move('spend2', w, provider, 400n));
    await ledger.createTransfer(move('load3', float, w, 100n));
    // an exempt hold, and its post
    await ledger.createTransfer(move('h', provider, w, 500n, { pending: true, exemptFromCap: true }));
    await rejectsCode(
      ledger.createTransfer({ id: tid('hp'), post: true, pendingId: tid('h'), kind: 'x', exemptFromCap: true }),
      'INVALID_TRANSFER',
      'exemptFromCap',
    );
    await ledger.createTransfer({ id: tid('hp'), post: true, pendingId: tid('h'), kind: 'x' });
    assert.equal(await available(w), 1_500n);
    const capped = await db('ledger_entries').where({ account_id: w }).whereNull('balance_cap').count({ n: '*' });
    assert.equal(Number(capped[0]!.n), 0, 'every entry of a capped account records its cap');
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('verify() judges each entry by the cap in force when it was posted', async () => {
    await ledger.createAccounts([walletAccount(`${p}c`, { cap: 1_000n })]);
    const w = wallet('c');
    await ledger.createTransfer(move('c1', float, w, 900n));
    // KYC downgrade: the wallet is now above its cap, which is not a breach
    await ledger.setAccountCap(w, 500n);
    assert.deepEqual((await ledger.verify()).violations, []);
    await rejectsCode(ledger.createTransfer(move('c2', float, w, 1n)), 'LIMIT_EXCEEDED');
    await ledger.setAccountCap(w, null);
    await ledger.createTransfer(move('c3', float, w, 5_000n));
    const caps = await db('ledger_entries')
      .whereIn('transfer_id', [tid('c1'), tid('c3')])
      .andWhere({ account_id: w })
      .orderBy('seq')
      .pluck('balance_cap');
    assert.deepEqual(caps, [1_000n, null]);
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('balancingDebit clamps to the available balance, holds counted; 0 is recorded and replays', async () => {
    await ledger.createAccounts([walletAccount(`${p}b`)]);
    const w = wallet('b');
    await ledger.createTransfer(move('b-load', float, w, 1_000n));
    await ledger.createTransfer(move('b-hold', w, provider, 300n, { pending: true }));
    const take = move('b1', w, provider, 5_000n, { balancingDebit: true });
    const r = await ledger.createTransfer(take);
    assert.deepEqual(
      [r.created, r.amount, r.requestedAmount, r.balancingDebit, r.balancingCredit],
      [true, 700n, 5_000n, true, false],
    );
    assert.equal(await available(w), 0n);
    const zero = await ledger.createTransfer(move('b2', w, provider, 50n, { balancingDebit: true }));
    assert.deepEqual([zero.created, zero.amount], [true, 0n]);
    const row = await db('ledger_transfers')
      .where({ id: tid('b2') })
      .first();
    assert.deepEqual([row.amount, row.requested_amount, row.balancing_debit], [0n, 50n, true]);
    const entries = await db('ledger_entries')
      .where({ transfer_id: tid('b2') })
      .orderBy('seq');
    assert.deepEqual(
      entries.map((e) => [e.side, e.posted_amount]),
      [
        ['debit', 0n],
        ['credit', 0n],
      ],
    );
    // money arrives; replays still answer what was done
    await ledger.createTransfer(move('b-load2', float, w, 10_000n));
    const again = await ledger.createTransfer(take);
    assert.deepEqual([again.created, again.amount], [false, 700n]);
    const again0 = await ledger.createTransfers([move('b2', w, provider, 50n, { balancingDebit: true })]);
    assert.equal(again0[0]!.status, 'exists');
    assert.equal(again0[0]!.status === 'exists' && again0[0]!.transfer.amount, 0n);
    await rejectsCode(
      ledger.createTransfer({ ...take, amount: 700n } as TransferInput),
      'IDEMPOTENCY_CONFLICT',
      'amount',
    );
    await rejectsCode(
      ledger.createTransfer({ ...take, balancingDebit: false } as TransferInput),
      'IDEMPOTENCY_CONFLICT',
      'balancingDebit',
    );
    const items = (await ledger.statement(w, { order: 'asc' })).items.map((i) => [i.transferId, i.amount]);
    assert.ok(items.some(([id, amt]) => id === tid('b2') && amt === 0n));
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('dues: recorded, collected from the next credits by balancing transfers in the same linked batch', async () => {
    const u = `${p}d`;
    await ledger.createAccounts([walletAccount(u), duesAccount(u)]);
    const w = wallet('d');
    const d = dues('d');
    assert.equal(d, `dues:${u}`);
    const acc = (await ledger.getAccount(d))!;
    assert.deepEqual(
      [acc.kind, acc.owner, acc.normalSide, acc.flags.creditsMustNotExceedDebits],
      ['dues', u, 'debit', true],
    );
    const collect = (id: string, amount: bigint) =>
      move(id, w, d, amount, { balancingDebit: true, balancingCredit: true, kind: 'due_collected' });
    await ledger.createTransfer(move('d-load', float, w, 200n));
    // a claw-back of 500 from a wallet holding 200: the due is recorded and 200 collected at once
    const rs = await ledger.createTransfers([move('d-due', d, expense, 500n), collect('d-col', 500n)]);
    assert.deepEqual(
      rs.map((r) => r.status),
      ['created', 'created'],
    );
    assert.equal(rs[1]!.status === 'created' && rs[1]!.transfer.amount, 200n);
    assert.deepEqual([(await ledger.balance(d)).posted, await available(w)], [300n, 0n]);
    // a collection can never take more than is owed, nor make the dues account negative
    await rejectsCode(ledger.createTransfer(move('d-over', w, d, 1n)), 'INSUFFICIENT_FUNDS');
    await ledger.createTransfer(move('d-load2', float, w, 1_000n));
    await rejectsCode(ledger.createTransfer(move('d-over2', w, d, 301n)), 'CREDITS_EXCEED_DEBITS');
    // the next credit, and the collection clamped to it and to what is owed, in one linked batch
    const next = await ledger.createTransfers([move('d-topup', float, w, 100n), collect('d-col2', 100n)]);
    assert.equal(next[1]!.status === 'created' && next[1]!.transfer.amount, 100n);
    const last = await ledger.createTransfers([move('d-topup2', float, w, 1_000n), collect('d-col3', 1_000n)]);
    assert.equal(last[1]!.status === 'created' && last[1]!.transfer.amount, 200n);
    assert.deepEqual([(await ledger.balance(d)).posted, await available(w)], [0n, 1_800n]);
    const none = await ledger.createTransfers([move('d-topup3', float, w, 10n), collect('d-col4', 10n)]);
    assert.equal(none[1]!.status === 'created' && none[1]!.transfer.amount, 0n);
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('concurrent lazy creation of one dues account from three processes', async () => {
    const u = `${p}lazy`;
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => ledgers[i % 3]!.createAccounts([duesAccount(u)])),
    );
    assert.ok(made.every(([a]) => a!.id === duesAccountId(u) && a!.kind === 'dues'));
    const n = await db('ledger_accounts')
      .where({ id: duesAccountId(u) })
      .count({ n: '*' });
    assert.equal(Number(n[0]!.n), 1);
    // an account of that id with another definition is a conflict, not silently reused
    await ledger.createAccounts([{ id: duesAccountId(`${p}other`), kind: 'wallet' }]);
    await rejectsCode(ledger.createAccounts([duesAccount(`${p}other`)]), 'ACCOUNT_CONFLICT');
  });

  test('concurrent collections from three processes never take more than is owed or held', async () => {
    const u = `${p}cc`;
    await ledger.createAccounts([walletAccount(u), duesAccount(u)]);
    const w = wallet('cc');
    const d = dues('cc');
    await ledger.createTransfer(move('cc-load', float, w, 1_000n));
    await ledger.createTransfer(move('cc-due', d, expense, 700n));
    /** `n` collections of at most `amount` each, spread over the three processes. */
    const collect = (prefix: string, n: number, amount: bigint) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          ledgers[i % 3]!.createTransfer(
            move(`${prefix}-${i}`, w, d, amount, { balancingDebit: true, balancingCredit: true }),
          ),
        ),
      );
    const results = await collect('cc', 30, 60n);
    assert.equal(
      results.reduce((s, r) => s + r.amount, 0n),
      700n,
    );
    assert.ok(results.every((r) => r.amount === 0n || r.amount === 40n || r.amount === 60n));
    assert.deepEqual([(await ledger.balance(d)).posted, await available(w)], [0n, 300n]);
    // and with the wallet the tighter bound
    await ledger.createTransfer(move('cc-due2', d, expense, 5_000n));
    const more = await collect('cc2', 12, 100n);
    assert.equal(
      more.reduce((s, r) => s + r.amount, 0n),
      300n,
    );
    assert.deepEqual([(await ledger.balance(d)).posted, await available(w)], [4_700n, 0n]);
    assert.deepEqual((await ledger.verify()).violations, []);
  });
});
