import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/knex';
import { Ledger, walletAccount, walletAccountId } from '../../../src/ledger';
import { batchHashSql, ENTRY_CONTENT_SQL, TRANSFER_CONTENT_SQL } from '../../../src/ledger/hash-chain';
import { testDb, uniq } from '../../support/db';

/**
 * Tampering done directly in SQL, with the immutability trigger disabled, is reported by
 * verify(). Each case restores the original row afterwards so the shared database stays valid.
 */
describe('ledger tamper detection', () => {
  let db: Db;
  let ledger: Ledger;
  const p = uniq('tamper');
  const float = `${p}:float`;
  const w = walletAccountId(p);
  let seq: string;

  async function withTriggerOff<T>(fn: () => Promise<T>): Promise<T> {
    await db.raw('alter table ledger_entries disable trigger ledger_entries_immutable');
    try {
      return await fn();
    } finally {
      await db.raw('alter table ledger_entries enable trigger ledger_entries_immutable');
    }
  }

  before(async () => {
    db = testDb();
    ledger = new Ledger(db);
    await ledger.createAccounts([{ id: float, kind: 'float', normalSide: 'debit' }, walletAccount(p)]);
    for (let i = 0; i < 5; i++) {
      await ledger.createTransfer({
        id: `${p}:t${i}`,
        debitAccountId: float,
        creditAccountId: w,
        amount: 100n,
        kind: 'topup',
      });
    }
    const r = await db.raw(`select seq::text from ledger_entries where transfer_id = ? and side = 'credit'`, [
      `${p}:t2`,
    ]);
    seq = r.rows[0].seq;
    assert.equal((await ledger.verify()).ok, true);
  });
  after(async () => {
    await ledger.close();
    await db.destroy();
  });

  test('an altered amount is reported at that entry', async () => {
    await withTriggerOff(() =>
      db.raw(`update ledger_entries set posted_amount = posted_amount + 1 where seq = ?`, [seq]),
    );
    try {
      const report = await ledger.verify();
      assert.equal(report.ok, false);
      const chain = report.violations.filter((v) => v.check === 'hash_chain');
      assert.deepEqual(
        chain.map((v) => v.seq),
        [seq],
      );
      assert.equal(chain[0]!.transferId, `${p}:t2`);
      assert.ok(report.violations.some((v) => v.check === 'account_totals' && v.accountId === w));
    } finally {
      await withTriggerOff(() =>
        db.raw(`update ledger_entries set posted_amount = posted_amount - 1 where seq = ?`, [seq]),
      );
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test("an altered balance_after with its batch's hash recomputed breaks the next batch's link", async () => {
    // each createTransfer above was its own batch: t2's entries are seq-1 (debit) and seq (credit)
    const orig = await db.raw(`select balance_after::text, hash from ledger_entries where seq = ?`, [seq]);
    const prev = String(BigInt(seq) - 2n);
    const first = String(BigInt(seq) - 1n);
    await withTriggerOff(async () => {
      await db.raw(`update ledger_entries set balance_after = balance_after + 500 where seq = ?`, [seq]);
      await db.raw(
        `update ledger_entries set hash = (
           select ${batchHashSql(
             `(select hash from ledger_entries where seq = ${prev})`,
             `string_agg(${ENTRY_CONTENT_SQL}, '|' order by e.seq)`,
             `string_agg(${TRANSFER_CONTENT_SQL}, '|' order by e.seq) filter (where e.side = 'debit')`,
           )}
           from ledger_entries e join ledger_transfers t on t.id = e.transfer_id where e.seq between ${first} and ${seq})
         where seq = ?`,
        [seq],
      );
    });
    try {
      const report = await ledger.verify();
      const chain = report.violations.filter((v) => v.check === 'hash_chain');
      assert.deepEqual(
        chain.map((v) => v.seq),
        [String(BigInt(seq) + 2n)],
        JSON.stringify(report.violations),
      );
      assert.equal(chain[0]!.transferId, `${p}:t3`);
      assert.ok(report.violations.some((v) => v.check === 'entry_running_balance' && v.seq === seq));
    } finally {
      await withTriggerOff(() =>
        db.raw(`update ledger_entries set balance_after = ?::bigint, hash = ? where seq = ?`, [
          orig.rows[0].balance_after,
          orig.rows[0].hash,
          seq,
        ]),
      );
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('a removed batch hash is reported', async () => {
    const orig = await db.raw(`select hash from ledger_entries where seq = ?`, [seq]);
    await withTriggerOff(() => db.raw(`update ledger_entries set hash = null where seq = ?`, [seq]));
    try {
      const report = await ledger.verify();
      assert.equal(report.ok, false);
      assert.ok(
        report.violations.some((v) => v.check === 'hash_chain'),
        JSON.stringify(report.violations),
      );
    } finally {
      await withTriggerOff(() => db.raw(`update ledger_entries set hash = ? where seq = ?`, [orig.rows[0].hash, seq]));
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  for (const [field, change, restore] of [
    ['reference', `reference = 'forged'`, 'reference = null'],
    ['metadata', `metadata = '{"note": "forged"}'::jsonb`, `metadata = '{}'::jsonb`],
    ['kind', `kind = 'forged'`, `kind = 'topup'`],
  ] as const) {
    test(`an altered transfer ${field} breaks the hash chain at its batch`, async () => {
      await db.raw('alter table ledger_transfers disable trigger ledger_transfers_immutable');
      try {
        await db.raw(`update ledger_transfers set ${change} where id = ?`, [`${p}:t4`]);
        const report = await ledger.verify();
        const chain = report.violations.filter((v) => v.check === 'hash_chain');
        assert.deepEqual(
          chain.map((v) => v.transferId),
          [`${p}:t4`],
          JSON.stringify(report.violations),
        );
        await db.raw(`update ledger_transfers set ${restore} where id = ?`, [`${p}:t4`]);
      } finally {
        await db.raw('alter table ledger_transfers enable trigger ledger_transfers_immutable');
      }
      assert.deepEqual((await ledger.verify()).violations, []);
    });
  }

  test('a deleted entry is reported as a gap and a transfer missing its entry', async () => {
    const row = (await db.raw(`select * from ledger_entries where seq = ?`, [seq])).rows[0];
    await withTriggerOff(() => db.raw(`delete from ledger_entries where seq = ?`, [seq]));
    try {
      const report = await ledger.verify();
      assert.ok(
        report.violations.some(
          (v) => v.check === 'hash_chain' && v.seq === String(BigInt(seq) + 1n) && /missing/.test(v.message),
        ),
      );
      assert.ok(report.violations.some((v) => v.check === 'transfer_entries' && v.transferId === `${p}:t2`));
    } finally {
      await db('ledger_entries').insert(row);
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('an entry moved to a missing transfer is reported as an orphan and breaks the chain', async () => {
    const ghost = `${p}:ghost`;
    await withTriggerOff(() => db.raw(`update ledger_entries set transfer_id = ? where seq = ?`, [ghost, seq]));
    try {
      const report = await ledger.verify();
      assert.ok(
        report.violations.some(
          (v) => v.check === 'transfer_entries' && v.seq === seq && v.transferId === ghost && /missing/.test(v.message),
        ),
        JSON.stringify(report.violations),
      );
      assert.ok(report.violations.some((v) => v.check === 'hash_chain' && v.seq === seq));
    } finally {
      await withTriggerOff(() => db.raw(`update ledger_entries set transfer_id = ? where seq = ?`, [`${p}:t2`, seq]));
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('an altered transfer amount is reported', async () => {
    await db.raw('alter table ledger_transfers disable trigger ledger_transfers_immutable');
    try {
      await db.raw(`update ledger_transfers set amount = 101 where id = ?`, [`${p}:t3`]);
      const report = await ledger.verify();
      assert.ok(report.violations.some((v) => v.check === 'transfer_entries' && v.transferId === `${p}:t3`));
      await db.raw(`update ledger_transfers set amount = 100 where id = ?`, [`${p}:t3`]);
    } finally {
      await db.raw('alter table ledger_transfers enable trigger ledger_transfers_immutable');
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });
});
