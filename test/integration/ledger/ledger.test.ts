import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/knex';
import {
  Ledger,
  LedgerError,
  ledgerErrorFromJson,
  providerSettlementAccount,
  systemAccounts,
  walletAccount,
  walletAccountId,
  type TransferInput,
} from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

async function rejectsCode(p: Promise<unknown>, code: string, data?: Record<string, unknown>): Promise<LedgerError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LedgerError, `expected a LedgerError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (data) for (const [k, v] of Object.entries(data)) assert.deepEqual(e.data[k], v, `data.${k}`);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('ledger (PostgreSQL)', () => {
  let db: Db;
  let ledger: Ledger;
  const p = uniq('lg');
  const float = `${p}:float`;
  const provider = `${p}:provider`;
  const a = walletAccountId(`${p}a`);
  const b = walletAccountId(`${p}b`);
  const tid = (s: string) => `${p}:${s}`;
  const fund = (id: string, to: string, amount: bigint) =>
    ledger.createTransfer({ id: tid(id), debitAccountId: float, creditAccountId: to, amount, kind: 'topup' });

  before(async () => {
    db = testDb();
    ledger = new Ledger(db);
    await ledger.createAccounts([
      { id: float, kind: 'platform_float', normalSide: 'debit' },
      { id: provider, kind: 'provider_settlement' },
      walletAccount(`${p}a`),
      walletAccount(`${p}b`, { cap: 10_000n }),
    ]);
  });
  after(async () => {
    await ledger.close();
    await db.destroy();
  });

  test('accounts are created idempotently; a different definition is a conflict', async () => {
    const [again] = await ledger.createAccounts([walletAccount(`${p}a`)]);
    assert.equal(again!.id, a);
    assert.equal(again!.flags.debitsMustNotExceedCredits, true);
    await rejectsCode(ledger.createAccounts([{ id: a, kind: 'something_else' }]), 'ACCOUNT_CONFLICT', {
      field: 'kind',
    });
    await rejectsCode(ledger.setAccountCap(`${p}:nope`, 1n), 'ACCOUNT_NOT_FOUND');
    assert.equal(await ledger.getAccount(`${p}:nope`), null);
  });

  test('createAccounts inside a caller transaction is atomic with it', async () => {
    const id = walletAccountId(`${p}trx`);
    await assert.rejects(
      db.transaction(async (trx) => {
        await ledger.createAccounts([walletAccount(`${p}trx`)], trx);
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal(await ledger.getAccount(id), null);
  });

  test('system accounts', async () => {
    const accs = await ledger.ensureSystemAccounts([`${p}prov`]);
    assert.ok(accs.some((x) => x.id === systemAccounts.platformFloat && x.normalSide === 'debit'));
    assert.ok(accs.some((x) => x.id === providerSettlementAccount(`${p}prov`)));
    await ledger.ensureSystemAccounts([`${p}prov`]); // idempotent
  });

  test('posted transfer, idempotent replay, conflict naming the field', async () => {
    const t = await fund('topup1', a, 5_000n);
    assert.equal(t.created, true);
    assert.equal(t.type, 'single_phase');
    assert.deepEqual(await ledger.balance(a), { posted: 5_000n, held: 0n, available: 5_000n });
    assert.deepEqual(await ledger.balance(float), { posted: 5_000n, held: 0n, available: 5_000n });
    const replay = await fund('topup1', a, 5_000n);
    assert.equal(replay.created, false);
    assert.equal(replay.createdAt.getTime(), t.createdAt.getTime());
    assert.deepEqual(await ledger.balance(a), { posted: 5_000n, held: 0n, available: 5_000n });
    const e = await rejectsCode(fund('topup1', a, 5_001n), 'IDEMPOTENCY_CONFLICT', {
      field: 'amount',
      existing: '5000',
      requested: '5001',
    });
    assert.match(e.message, /amount/);
    await rejectsCode(
      ledger.createTransfer({
        id: tid('topup1'),
        debitAccountId: float,
        creditAccountId: a,
        amount: 5_000n,
        kind: 'topup',
        metadata: { x: 1 },
      }),
      'IDEMPOTENCY_CONFLICT',
      { field: 'metadata' },
    );
    // metadata key order does not matter
    await ledger.createTransfer({
      id: tid('meta'),
      debitAccountId: float,
      creditAccountId: a,
      amount: 1n,
      kind: 'topup',
      metadata: { x: 1, y: 'z' },
    });
    const r = await ledger.createTransfer({
      id: tid('meta'),
      debitAccountId: float,
      creditAccountId: a,
      amount: 1n,
      kind: 'topup',
      metadata: { y: 'z', x: 1 },
    });
    assert.equal(r.created, false);
  });

  test('typed errors: insufficient funds, unknown account, invalid input', async () => {
    await rejectsCode(
      ledger.createTransfer({
        id: tid('over'),
        debitAccountId: a,
        creditAccountId: provider,
        amount: 1_000_000n,
        kind: 'recharge',
      }),
      'INSUFFICIENT_FUNDS',
      { accountId: a, amount: '1000000' },
    );
    await rejectsCode(
      ledger.createTransfer({
        id: tid('nf'),
        debitAccountId: float,
        creditAccountId: `${p}:missing`,
        amount: 1n,
        kind: 'topup',
      }),
      'ACCOUNT_NOT_FOUND',
      { accountId: `${p}:missing` },
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('zero'), debitAccountId: float, creditAccountId: a, amount: 0n, kind: 'x' }),
      'INVALID_TRANSFER',
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('self'), debitAccountId: a, creditAccountId: a, amount: 1n, kind: 'x' }),
      'INVALID_TRANSFER',
    );
    await rejectsCode(
      ledger.createTransfer({ id: 'bad id!', debitAccountId: float, creditAccountId: a, amount: 1n, kind: 'x' }),
      'INVALID_TRANSFER',
    );
    await rejectsCode(
      ledger.createTransfer({
        id: tid('num'),
        debitAccountId: float,
        creditAccountId: a,
        amount: 5 as unknown as bigint,
        kind: 'x',
      }),
      'INVALID_TRANSFER',
      { field: 'amount' },
    );
    // a failed transfer leaves no trace: the id is still free
    assert.equal(await ledger.getTransfer(tid('over')), null);
  });

  test('errors survive serialization by code', async () => {
    const e = await rejectsCode(
      ledger.createTransfer({
        id: tid('over2'),
        debitAccountId: a,
        creditAccountId: provider,
        amount: 1_000_000n,
        kind: 'recharge',
      }),
      'INSUFFICIENT_FUNDS',
    );
    const back = ledgerErrorFromJson(JSON.parse(JSON.stringify(e)));
    assert.equal(back.code, 'INSUFFICIENT_FUNDS');
    assert.equal(back.data.accountId, a);
    assert.equal(back.name, 'InsufficientFunds');
  });

  test('hold, partial post, double resolution, void', async () => {
    const before = await ledger.balance(a);
    const hold = await ledger.createTransfer({
      id: tid('h1'),
      debitAccountId: a,
      creditAccountId: provider,
      amount: 1_000n,
      kind: 'recharge_hold',
      pending: true,
    });
    assert.equal(hold.type, 'pending');
    assert.deepEqual(await ledger.balance(a), {
      posted: before.posted,
      held: 1_000n,
      available: before.posted - 1_000n,
    });
    // the hold counts against available funds
    await rejectsCode(
      ledger.createTransfer({
        id: tid('h1big'),
        debitAccountId: a,
        creditAccountId: provider,
        amount: before.posted,
        kind: 'recharge_hold',
        pending: true,
      }),
      'INSUFFICIENT_FUNDS',
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('h1p0'), post: true, pendingId: tid('h1'), amount: 1_001n, kind: 'capture' }),
      'INVALID_TRANSFER',
      { field: 'amount' },
    );
    const post = await ledger.createTransfer({
      id: tid('h1post'),
      post: true,
      pendingId: tid('h1'),
      amount: 700n,
      kind: 'capture',
    });
    assert.equal(post.amount, 700n);
    assert.equal(post.debitAccountId, a);
    assert.deepEqual(await ledger.balance(a), {
      posted: before.posted - 700n,
      held: 0n,
      available: before.posted - 700n,
    });
    // replay of the post (amount omitted would mean "full" = 1000, a conflict)
    assert.equal(
      (
        await ledger.createTransfer({
          id: tid('h1post'),
          post: true,
          pendingId: tid('h1'),
          amount: 700n,
          kind: 'capture',
        })
      ).created,
      false,
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('h1post'), post: true, pendingId: tid('h1'), kind: 'capture' }),
      'IDEMPOTENCY_CONFLICT',
      { field: 'amount' },
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('h1void'), void: true, pendingId: tid('h1') }),
      'PENDING_ALREADY_RESOLVED',
      {
        pendingId: tid('h1'),
        resolvedBy: tid('h1post'),
        resolution: 'posted',
      },
    );

    await ledger.createTransfer({
      id: tid('h2'),
      debitAccountId: a,
      creditAccountId: provider,
      amount: 300n,
      kind: 'recharge_hold',
      pending: true,
    });
    const v = await ledger.createTransfer({ id: tid('h2void'), void: true, pendingId: tid('h2') });
    assert.equal(v.type, 'void_pending');
    assert.equal(v.amount, 300n);
    assert.equal((await ledger.balance(a)).held, 0n);
    await rejectsCode(
      ledger.createTransfer({ id: tid('h2post'), post: true, pendingId: tid('h2'), kind: 'capture' }),
      'PENDING_ALREADY_RESOLVED',
      { resolution: 'voided' },
    );
    await rejectsCode(
      ledger.createTransfer({ id: tid('nopost'), post: true, pendingId: tid('nothing'), kind: 'capture' }),
      'PENDING_NOT_FOUND',
    );
    // a posted (non-pending) transfer cannot be posted
    await rejectsCode(
      ledger.createTransfer({ id: tid('postposted'), post: true, pendingId: tid('topup1'), kind: 'capture' }),
      'PENDING_NOT_FOUND',
    );
    // full post
    await ledger.createTransfer({
      id: tid('h3'),
      debitAccountId: a,
      creditAccountId: provider,
      amount: 50n,
      kind: 'recharge_hold',
      pending: true,
    });
    const full = await ledger.createTransfer({ id: tid('h3post'), post: true, pendingId: tid('h3'), kind: 'capture' });
    assert.equal(full.amount, 50n);
  });

  test('hold timeout: posting after expiry fails, voidExpiredPending voids it', async () => {
    const before = await ledger.balance(a);
    await ledger.createTransfer({
      id: tid('exp'),
      debitAccountId: a,
      creditAccountId: provider,
      amount: 100n,
      kind: 'recharge_hold',
      pending: true,
      timeoutSeconds: 1,
    });
    const hold = await ledger.getTransfer(tid('exp'));
    assert.ok(hold?.expiresAt);
    assert.equal(hold.expiresAt.getTime() - hold.createdAt.getTime(), 1000);
    const early = await ledger.voidExpiredPending(new Date());
    assert.ok(!early.voided.includes(tid('exp')));
    await new Promise((r) => setTimeout(r, 1100));
    await rejectsCode(
      ledger.createTransfer({ id: tid('exppost'), post: true, pendingId: tid('exp'), kind: 'capture' }),
      'PENDING_EXPIRED',
    );
    assert.equal((await ledger.balance(a)).held, 100n);
    const res = await ledger.voidExpiredPending();
    assert.ok(res.voided.includes(tid('exp')), JSON.stringify(res));
    assert.deepEqual(await ledger.balance(a), before);
    const again = await ledger.voidExpiredPending();
    assert.ok(!again.voided.includes(tid('exp')));
    const v = await ledger.getTransfer(`${tid('exp')}:expired`);
    assert.equal(v?.type, 'void_pending');
    assert.equal(v?.kind, 'pending_expired');
  });

  test('balance cap (KYC limit) and setAccountCap', async () => {
    await fund('capok', b, 9_000n);
    await rejectsCode(fund('capover', b, 1_001n), 'LIMIT_EXCEEDED', {
      accountId: b,
      cap: '10000',
      balanceAfter: '10001',
    });
    // incoming holds count toward the cap
    await ledger.createTransfer({
      id: tid('caphold'),
      debitAccountId: float,
      creditAccountId: b,
      amount: 1_000n,
      kind: 'x',
      pending: true,
    });
    await rejectsCode(fund('capover2', b, 1n), 'LIMIT_EXCEEDED');
    await ledger.createTransfer({ id: tid('capholdv'), void: true, pendingId: tid('caphold') });
    const acc = await ledger.setAccountCap(b, 20_000n);
    assert.equal(acc.cap, 20_000n);
    await fund('capover', b, 1_001n);
    await ledger.setAccountCap(b, 5_000n);
    // a cap below the balance still lets money out
    await ledger.createTransfer({
      id: tid('capout'),
      debitAccountId: b,
      creditAccountId: provider,
      amount: 1n,
      kind: 'recharge',
    });
    await ledger.setAccountCap(b, null);
    await fund('capnone', b, 100_000n);
  });

  test('linked transfers commit all or nothing', async () => {
    const before = await ledger.balance(a);
    const bad: TransferInput[] = [
      { id: tid('l1'), debitAccountId: a, creditAccountId: provider, amount: 10n, kind: 'capture' },
      { id: tid('l2'), debitAccountId: float, creditAccountId: a, amount: 2n, kind: 'commission' },
      { id: tid('l3'), debitAccountId: a, creditAccountId: provider, amount: 10_000_000n, kind: 'tds' },
    ];
    const res = await ledger.createTransfers(bad);
    assert.deepEqual(
      res.map((r) => r.status),
      ['failed', 'failed', 'failed'],
    );
    assert.equal(res[2]!.status === 'failed' && res[2]!.error.code, 'INSUFFICIENT_FUNDS');
    assert.equal(res[0]!.status === 'failed' && res[0]!.error.code, 'LINKED_TRANSFER_FAILED');
    assert.equal(res[0]!.status === 'failed' && res[0]!.error.data.failedId, tid('l3'));
    assert.deepEqual(await ledger.balance(a), before);
    assert.equal(await ledger.getTransfer(tid('l1')), null);
    const ok = await ledger.createTransfers([bad[0]!, bad[1]!, { ...bad[2]!, amount: 3n } as TransferInput]);
    assert.deepEqual(
      ok.map((r) => r.status),
      ['created', 'created', 'created'],
    );
    assert.equal((await ledger.balance(a)).posted, before.posted - 10n + 2n - 3n);
    const replay = await ledger.createTransfers([bad[0]!, bad[1]!, { ...bad[2]!, amount: 3n } as TransferInput]);
    assert.deepEqual(
      replay.map((r) => r.status),
      ['exists', 'exists', 'exists'],
    );
    // a hold and its post in one linked list
    const two = await ledger.createTransfers([
      { id: tid('lh'), debitAccountId: a, creditAccountId: provider, amount: 5n, kind: 'hold', pending: true },
      { id: tid('lhp'), post: true, pendingId: tid('lh'), amount: 4n, kind: 'capture' },
    ]);
    assert.deepEqual(
      two.map((r) => r.status),
      ['created', 'created'],
    );
    // an invalid shape fails the whole list without touching the database
    const shape = await ledger.createTransfers([
      bad[0]!,
      { id: tid('l9'), debitAccountId: a, creditAccountId: provider, amount: -1n, kind: 'x' },
    ]);
    assert.equal(shape[1]!.status === 'failed' && shape[1]!.error.code, 'INVALID_TRANSFER');
  });

  test('reversal: swapped accounts, at most once', async () => {
    await fund('torev', a, 77n);
    const before = await ledger.balance(a);
    await rejectsCode(
      ledger.createTransfer({
        id: tid('rev0'),
        debitAccountId: float,
        creditAccountId: a,
        amount: 77n,
        kind: 'reversal',
        reversalOf: tid('torev'),
      }),
      'INVALID_TRANSFER',
    );
    const r = await ledger.createTransfer({
      id: tid('rev1'),
      debitAccountId: a,
      creditAccountId: float,
      amount: 77n,
      kind: 'reversal',
      reversalOf: tid('torev'),
    });
    assert.equal(r.reversalOf, tid('torev'));
    assert.equal((await ledger.balance(a)).posted, before.posted - 77n);
    await rejectsCode(
      ledger.createTransfer({
        id: tid('rev2'),
        debitAccountId: a,
        creditAccountId: float,
        amount: 1n,
        kind: 'reversal',
        reversalOf: tid('torev'),
      }),
      'ALREADY_REVERSED',
      { reversedBy: tid('rev1') },
    );
  });

  test('statement with balance_after, cursor pagination, time range; balanceAt', async () => {
    const w = walletAccountId(`${p}st`);
    await ledger.createAccounts([walletAccount(`${p}st`)]);
    const times: Date[] = [];
    for (let i = 1; i <= 7; i++) {
      const t = await fund(`st${i}`, w, BigInt(i * 100));
      times.push(t.createdAt);
      await new Promise((r) => setTimeout(r, 5));
    }
    await ledger.createTransfer({
      id: tid('sth'),
      debitAccountId: w,
      creditAccountId: provider,
      amount: 50n,
      kind: 'hold',
      pending: true,
    });
    const page1 = await ledger.statement(w, { limit: 3 });
    assert.equal(page1.items.length, 3);
    assert.equal(page1.items[0]!.transferId, tid('sth'));
    assert.equal(page1.items[0]!.direction, 'debit');
    assert.equal(page1.items[0]!.heldAfter, 50n);
    assert.equal(page1.items[0]!.balanceAfter, 2800n);
    assert.equal(page1.items[1]!.balanceAfter, 2800n);
    assert.equal(page1.items[1]!.direction, 'credit');
    const all = [...page1.items];
    let cursor = page1.nextCursor;
    while (cursor) {
      const pg = await ledger.statement(w, { limit: 3, cursor });
      all.push(...pg.items);
      cursor = pg.nextCursor;
    }
    assert.equal(all.length, 8);
    assert.deepEqual(
      all.slice(1).map((x) => x.balanceAfter),
      [2800n, 2100n, 1500n, 1000n, 600n, 300n, 100n],
    );
    const asc = await ledger.statement(w, { order: 'asc', from: times[2]!, to: times[5]! });
    assert.deepEqual(
      asc.items.map((x) => x.amount),
      [300n, 400n, 500n],
    );
    // point in time
    assert.deepEqual(await ledger.balanceAt(w, new Date(times[0]!.getTime() - 1)), {
      posted: 0n,
      held: 0n,
      available: 0n,
    });
    assert.deepEqual(await ledger.balanceAt(w, times[2]!), { posted: 600n, held: 0n, available: 600n });
    assert.deepEqual(await ledger.balanceAt(w, new Date()), { posted: 2800n, held: 50n, available: 2750n });
  });

  test('references and lookups', async () => {
    await ledger.createTransfers([
      { id: tid('ref1'), debitAccountId: float, creditAccountId: a, amount: 1n, kind: 'topup', reference: `${p}:R` },
      { id: tid('ref2'), debitAccountId: float, creditAccountId: a, amount: 2n, kind: 'topup', reference: `${p}:R` },
    ]);
    const found = await ledger.transfersByReference(`${p}:R`);
    assert.deepEqual(found.map((t) => t.id).sort(), [tid('ref1'), tid('ref2')]);
    assert.equal((await ledger.getTransfer(tid('ref2')))?.amount, 2n);
  });

  test('free text in reference and metadata round-trips exactly', async () => {
    const reference = `${p} "quoted" \\ back{slash},NULL`;
    const metadata = { q: 'x"y\\z', brace: '{a,b}', unicode: 'नमस्ते', nested: { n: 1, list: [1, 'two', null] } };
    const batch = await ledger.createTransfers([
      { id: tid('txt1'), debitAccountId: float, creditAccountId: a, amount: 1n, kind: 'topup', reference, metadata },
      { id: tid('txt2'), debitAccountId: float, creditAccountId: a, amount: 1n, kind: 'topup', reference: 'NULL' },
    ]);
    assert.deepEqual(
      batch.map((r) => r.status),
      ['created', 'created'],
    );
    const t = await ledger.getTransfer(tid('txt1'));
    assert.equal(t?.reference, reference);
    assert.deepEqual(t?.metadata, metadata);
    assert.equal((await ledger.getTransfer(tid('txt2')))?.reference, 'NULL');
    assert.equal(
      (
        await ledger.createTransfer({
          id: tid('txt1'),
          debitAccountId: float,
          creditAccountId: a,
          amount: 1n,
          kind: 'topup',
          reference,
          metadata,
        })
      ).created,
      false,
    );
  });

  test('the database refuses UPDATE/DELETE of transfers and entries, and direct total changes', async () => {
    await assert.rejects(db.raw(`update ledger_transfers set amount = 1 where id = ?`, [tid('topup1')]), /append-only/);
    await assert.rejects(db.raw(`delete from ledger_transfers where id = ?`, [tid('topup1')]), /append-only/);
    await assert.rejects(
      db.raw(`update ledger_entries set posted_amount = 1 where transfer_id = ?`, [tid('topup1')]),
      /append-only/,
    );
    await assert.rejects(db.raw(`delete from ledger_entries where transfer_id = ?`, [tid('topup1')]), /append-only/);
    await assert.rejects(
      db.raw(`update ledger_accounts set credits_posted = credits_posted + 1 where id = ?`, [a]),
      /posting path/,
    );
    await assert.rejects(db.raw(`delete from ledger_accounts where id = ?`, [a]), /cannot be deleted/);
    await assert.rejects(db.raw(`update ledger_chain_head set last_seq = last_seq + 1`), /posting path/);
    await db.raw(`update ledger_accounts set metadata = '{"note":"ok"}' where id = ?`, [a]); // non-total fields stay editable
  });

  test('concurrent duplicates from two processes: one created, the rest replays', async () => {
    const db2 = testDb(4);
    const other = new Ledger(db2);
    try {
      const input: TransferInput = {
        id: tid('dup'),
        debitAccountId: float,
        creditAccountId: a,
        amount: 9n,
        kind: 'topup',
      };
      const res = await Promise.all([ledger, other, ledger, other].map((l) => l.createTransfers([input])));
      const statuses = res.map((r) => r[0]!.status).sort();
      assert.deepEqual(statuses, ['created', 'exists', 'exists', 'exists']);
      const conflicting = await Promise.all([
        ledger.createTransfers([{ ...input, id: tid('dup2') }]),
        other.createTransfers([{ ...input, id: tid('dup2'), creditAccountId: b }]),
      ]);
      const codes = conflicting.map((r) => (r[0]!.status === 'failed' ? r[0]!.error.code : r[0]!.status)).sort();
      assert.deepEqual(codes, ['IDEMPOTENCY_CONFLICT', 'created']);
    } finally {
      await other.close();
      await db2.destroy();
    }
  });

  test('each transfer type is stored under the code the hash chain was built on, and read back by its name', async () => {
    const ids = {
      single_phase: tid('topup1'),
      pending: tid('h3'),
      post_pending: tid('h3post'),
      void_pending: tid('h2void'),
    };
    const rows = (await db('ledger_transfers').whereIn('id', Object.values(ids)).select('id', 'type')) as Array<{
      id: string;
      type: string;
    }>;
    const stored = new Map(rows.map((r) => [r.id, r.type]));
    assert.deepEqual(Object.fromEntries(Object.entries(ids).map(([type, id]) => [type, stored.get(id)])), {
      single_phase: 'posted',
      pending: 'pending',
      post_pending: 'post',
      void_pending: 'void',
    });
    for (const [type, id] of Object.entries(ids)) assert.equal((await ledger.getTransfer(id))?.type, type);
    const inStatement = new Set((await ledger.statement(a, { limit: 1000 })).items.map((i) => i.type));
    assert.deepEqual([...inStatement].sort(), Object.keys(ids).sort());
  });

  test('verify() is clean', async () => {
    const report = await ledger.verify();
    assert.deepEqual(report.violations, []);
    assert.equal(report.ok, true);
    assert.ok(report.entries > 0);
  });
});
