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
  const capped = walletAccountId(`${p}cap`);
  let seq: string;

  /** Runs `fn` with the table's immutability trigger off (tampering as someone with table access could). */
  async function withTriggerOff<T>(table: 'ledger_entries' | 'ledger_transfers', fn: () => Promise<T>): Promise<T> {
    await db.raw(`alter table ${table} disable trigger ${table}_immutable`);
    try {
      return await fn();
    } finally {
      await db.raw(`alter table ${table} enable trigger ${table}_immutable`);
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
    await ledger.createAccounts([walletAccount(`${p}cap`, { cap: 500n })]);
    await ledger.createTransfer({
      id: `${p}:cap-load`,
      debitAccountId: float,
      creditAccountId: capped,
      amount: 500n,
      kind: 'topup',
    });
    await ledger.createTransfer({
      id: `${p}:bal`,
      debitAccountId: w,
      creditAccountId: float,
      amount: 50n,
      kind: 'collect',
      balancingDebit: true,
    });
    assert.equal((await ledger.verify()).ok, true);
  });
  after(async () => {
    await ledger.close();
    await db.destroy();
  });

  test('an altered amount is reported at that entry', async () => {
    await withTriggerOff('ledger_entries', () =>
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
      await withTriggerOff('ledger_entries', () =>
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
    await withTriggerOff('ledger_entries', async () => {
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
      await withTriggerOff('ledger_entries', () =>
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
    await withTriggerOff('ledger_entries', () => db.raw(`update ledger_entries set hash = null where seq = ?`, [seq]));
    try {
      const report = await ledger.verify();
      assert.equal(report.ok, false);
      assert.ok(
        report.violations.some((v) => v.check === 'hash_chain'),
        JSON.stringify(report.violations),
      );
    } finally {
      await withTriggerOff('ledger_entries', () =>
        db.raw(`update ledger_entries set hash = ? where seq = ?`, [orig.rows[0].hash, seq]),
      );
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  for (const [field, change, restore, tr] of [
    ['reference', `reference = 'forged'`, 'reference = null'],
    ['metadata', `metadata = '{"note": "forged"}'::jsonb`, `metadata = '{}'::jsonb`],
    ['kind', `kind = 'forged'`, `kind = 'topup'`],
    ['exempt_from_cap', 'exempt_from_cap = true', 'exempt_from_cap = false'],
    ['requested_amount', 'requested_amount = requested_amount + 1', 'requested_amount = requested_amount - 1', 'bal'],
    ['balancing_credit', 'balancing_credit = true', 'balancing_credit = false', 'bal'],
    [
      'balancing_debit',
      'balancing_debit = false, requested_amount = null',
      'balancing_debit = true, requested_amount = 50',
      'bal',
    ],
  ] as const) {
    test(`an altered transfer ${field} breaks the hash chain at its batch`, async () => {
      const id = `${p}:${tr ?? 't4'}`;
      await withTriggerOff('ledger_transfers', async () => {
        await db.raw(`update ledger_transfers set ${change} where id = ?`, [id]);
        try {
          const report = await ledger.verify();
          const chain = report.violations.filter((v) => v.check === 'hash_chain');
          assert.deepEqual(
            chain.map((v) => v.transferId),
            [id],
            JSON.stringify(report.violations),
          );
        } finally {
          await db.raw(`update ledger_transfers set ${restore} where id = ?`, [id]);
        }
      });
      assert.deepEqual((await ledger.verify()).violations, []);
    });
  }

  test("an entry's recorded cap, lowered below its balance, is a cap breach and breaks the chain", async () => {
    const e = (
      await db.raw(`select seq::text from ledger_entries where transfer_id = ? and account_id = ?`, [
        `${p}:cap-load`,
        capped,
      ])
    ).rows[0];
    await withTriggerOff('ledger_entries', () =>
      db.raw(`update ledger_entries set balance_cap = 499 where seq = ?`, [e.seq]),
    );
    try {
      const report = await ledger.verify();
      const cap = report.violations.filter((v) => v.check === 'balance_cap');
      assert.deepEqual(
        cap.map((v) => [v.seq, v.accountId, v.transferId, v.balance, v.cap]),
        [[e.seq, capped, `${p}:cap-load`, '500', '499']],
        JSON.stringify(report.violations),
      );
      assert.ok(report.violations.some((v) => v.check === 'hash_chain' && v.seq === e.seq));
    } finally {
      await withTriggerOff('ledger_entries', () =>
        db.raw(`update ledger_entries set balance_cap = 500 where seq = ?`, [e.seq]),
      );
    }
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('a cap breach planted with a consistent chain is still reported, by the cap check alone', async () => {
    // an exempt credit takes the wallet above its cap (legitimately), as the ledger's last batch
    const t = await ledger.createTransfer({
      id: `${p}:refund`,
      debitAccountId: float,
      creditAccountId: capped,
      amount: 300n,
      kind: 'refund',
      exemptFromCap: true,
    });
    const head = (await db.raw(`select last_seq::text, last_hash from ledger_chain_head where id = 1`)).rows[0];
    const last = (
      await db.raw(`select seq::text, hash from ledger_entries where transfer_id = ? and side = 'credit'`, [t.id])
    ).rows[0];
    assert.equal(head.last_seq, last.seq, 'the exempt transfer is the last batch');
    const first = String(BigInt(last.seq) - 1n);
    const prev = String(BigInt(last.seq) - 2n);
    assert.deepEqual((await ledger.verify()).violations, []);
    // forge it into a non-exempt transfer, and re-hash its batch and the chain head to match
    const rehash = async () => {
      await withTriggerOff('ledger_entries', () =>
        db.raw(
          `update ledger_entries set hash = (
             select ${batchHashSql(
               `(select hash from ledger_entries where seq = ${prev})`,
               `string_agg(${ENTRY_CONTENT_SQL}, '|' order by e.seq)`,
               `string_agg(${TRANSFER_CONTENT_SQL}, '|' order by e.seq) filter (where e.side = 'debit')`,
             )}
             from ledger_entries e join ledger_transfers t on t.id = e.transfer_id where e.seq between ${first} and ${last.seq})
           where seq = ?`,
          [last.seq],
        ),
      );
      await db.transaction(async (trx) => {
        await trx.raw(`select set_config('tijori.ledger_posting', 'on', true)`);
        await trx.raw(
          `update ledger_chain_head set last_hash = (select hash from ledger_entries where seq = ?) where id = 1`,
          [last.seq],
        );
      });
    };
    await withTriggerOff('ledger_transfers', () =>
      db.raw(`update ledger_transfers set exempt_from_cap = false where id = ?`, [t.id]),
    );
    try {
      await rehash();
      const report = await ledger.verify();
      assert.deepEqual(
        report.violations.map((v) => [v.check, v.seq, v.accountId, v.transferId, v.balance, v.cap]),
        [['balance_cap', last.seq, capped, t.id, '800', '500']],
        JSON.stringify(report.violations),
      );
    } finally {
      await withTriggerOff('ledger_transfers', () =>
        db.raw(`update ledger_transfers set exempt_from_cap = true where id = ?`, [t.id]),
      );
      await rehash();
    }
    const after = (await db.raw(`select hash from ledger_entries where seq = ?`, [last.seq])).rows[0];
    assert.equal(after.hash, last.hash);
    assert.deepEqual((await ledger.verify()).violations, []);
  });

  test('a deleted entry is reported as a gap and a transfer missing its entry', async () => {
    const row = (await db.raw(`select * from ledger_entries where seq = ?`, [seq])).rows[0];
    await withTriggerOff('ledger_entries', () => db.raw(`delete from ledger_entries where seq = ?`, [seq]));
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
    await withTriggerOff('ledger_entries', () =>
      db.raw(`update ledger_entries set transfer_id = ? where seq = ?`, [ghost, seq]),
    );
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
      await withTriggerOff('ledger_entries', () =>
        db.raw(`update ledger_entries set transfer_id = ? where seq = ?`, [`${p}:t2`, seq]),
      );
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
