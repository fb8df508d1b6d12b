import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Db } from '../../../src/db/knex';
import { Ledger, type TransferInput, type TransferResult } from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

/**
 * Property: random operations (posted transfers, holds, posts, voids, replays, conflicting
 * replays, invalid and linked transfers), run concurrently from four Ledger instances with their
 * own connection pools, always leave the database equal to a simple in-memory model, with each
 * outcome explained by the model, and verify() clean.
 *
 * Operations of one round run concurrently (so their order is unknown); the model is updated
 * from the outcomes, which must be plausible: a transfer may fail for funds/limits only where the
 * model says it could; deterministic errors must always occur; of several resolutions of one hold
 * exactly one wins.
 */

const WALLETS = 6;
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
type Acc = { dp: bigint; cp: bigint; dpe: bigint; cpe: bigint };

type Op =
  | { t: 'transfer'; from: number; to: number; amount: number; pending: boolean }
  | { t: 'post'; hold: number; partial: number }
  | { t: 'void'; hold: number }
  | { t: 'dup'; ref: number }
  | { t: 'conflict'; ref: number }
  | { t: 'bad'; which: 'missing' | 'zero' | 'self' }
  | { t: 'linked'; legs: Array<{ from: number; to: number; amount: number }> };

// account indexes: 0 = source (float, unflagged), 1 = sink (provider), 2.. = wallets
const accIdx = fc.integer({ min: 0, max: WALLETS + 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('transfer' as const),
      from: accIdx,
      to: accIdx,
      amount: fc.integer({ min: 1, max: 900 }),
      pending: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('post' as const), hold: fc.nat(), partial: fc.integer({ min: 0, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('void' as const), hold: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('dup' as const), ref: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('conflict' as const), ref: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('bad' as const),
      which: fc.constantFrom('missing' as const, 'zero' as const, 'self' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('linked' as const),
      legs: fc.array(fc.record({ from: accIdx, to: accIdx, amount: fc.integer({ min: 1, max: 600 }) }), {
        minLength: 2,
        maxLength: 4,
      }),
    }),
  },
);

describe('ledger property: concurrent random operations match a model', () => {
  const dbs: Db[] = [];
  const ledgers: Ledger[] = [];
  let totalOps = 0;

  before(() => {
    for (let i = 0; i < 4; i++) {
      const db = testDb(4);
      dbs.push(db);
      ledgers.push(new Ledger(db, { maxInFlight: 2 }));
    }
  });
  after(async () => {
    for (const l of ledgers) await l.close();
    for (const db of dbs) await db.destroy();
  });

  test('balances equal the model and verify() is clean', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { minLength: 20, maxLength: 110 }), { minLength: 4, maxLength: 6 }),
        async (rounds) => {
          const p = uniq('prop');
          const ids = [`${p}:src`, `${p}:sink`, ...Array.from({ length: WALLETS }, (_, i) => `${p}:w${i}`)];
          const caps = ids.map((_, i) => (i >= 2 && i % 3 === 0 ? 6_000n : null));
          await ledgers[0]!.createAccounts(
            ids.map((id, i) => ({
              id,
              kind: i === 0 ? 'float' : i === 1 ? 'provider' : 'wallet',
              normalSide: i === 0 ? ('debit' as const) : ('credit' as const),
              flags: { debitsMustNotExceedCredits: i >= 2 },
              cap: caps[i],
            })),
          );
          const model: Acc[] = ids.map(() => ({ dp: 0n, cp: 0n, dpe: 0n, cpe: 0n }));
          const isWallet = (i: number) => i >= 2;
          const avail = (i: number) => model[i]!.cp - model[i]!.dp - model[i]!.dpe;
          const holds: Array<{ id: string; from: number; to: number; amount: bigint; resolved: boolean }> = [];
          const created: Array<{ input: TransferInput }> = [];
          let n = 0;
          const nextId = () => `${p}:x${n++}`;

          // fund the wallets
          for (let i = 2; i < ids.length; i++) {
            await ledgers[0]!.createTransfer({
              id: `${p}:fund${i}`,
              debitAccountId: ids[0]!,
              creditAccountId: ids[i]!,
              amount: 3_000n,
              kind: 'fund',
            });
            model[0]!.dp += 3_000n;
            model[i]!.cp += 3_000n;
          }

          const applyPosted = (from: number, to: number, amt: bigint) => {
            model[from]!.dp += amt;
            model[to]!.cp += amt;
          };
          // could this transfer ever have failed for funds or limits, in some order of the round?
          const mayFailFunds = (from: number) => isWallet(from);
          const mayFailCap = (to: number) => caps[to] !== null;

          for (const round of rounds) {
            totalOps += round.length;
            const resolvingThisRound = new Map<number, number>();
            type Pending = { op: Op; input: TransferInput[]; check: (r: TransferResult[]) => void };
            const work: Pending[] = [];
            for (const op of round) {
              if (op.t === 'transfer') {
                const from = op.from;
                const to = op.to === op.from ? (op.to + 1) % ids.length : op.to;
                const input: TransferInput = op.pending
                  ? {
                      id: nextId(),
                      debitAccountId: ids[from]!,
                      creditAccountId: ids[to]!,
                      amount: BigInt(op.amount),
                      kind: 'hold',
                      pending: true,
                    }
                  : {
                      id: nextId(),
                      debitAccountId: ids[from]!,
                      creditAccountId: ids[to]!,
                      amount: BigInt(op.amount),
                      kind: 'pay',
                    };
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => {
                    if (r!.status === 'created') {
                      const amt = BigInt(op.amount);
                      if (op.pending) {
                        model[from]!.dpe += amt;
                        model[to]!.cpe += amt;
                        holds.push({ id: input.id, from, to, amount: amt, resolved: false });
                      } else applyPosted(from, to, amt);
                      created.push({ input });
                    } else {
                      assert.equal(r!.status, 'failed');
                      const code = r!.status === 'failed' ? r!.error.code : '';
                      assert.ok(
                        (code === 'INSUFFICIENT_FUNDS' && mayFailFunds(from)) ||
                          (code === 'LIMIT_EXCEEDED' && mayFailCap(to)),
                        `unexpected ${code} for ${JSON.stringify(op)}`,
                      );
                    }
                  },
                });
              } else if (op.t === 'post' || op.t === 'void') {
                if (holds.length === 0) continue;
                const hi = op.hold % holds.length;
                const h = holds[hi]!;
                const amount =
                  op.t === 'post' && op.partial > 0 ? (h.amount * BigInt(op.partial)) / 4n || 1n : undefined;
                const input: TransferInput =
                  op.t === 'post'
                    ? { id: nextId(), post: true, pendingId: h.id, amount, kind: 'capture' }
                    : { id: nextId(), void: true, pendingId: h.id };
                resolvingThisRound.set(hi, (resolvingThisRound.get(hi) ?? 0) + 1);
                const wasResolved = h.resolved;
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => {
                    if (wasResolved) {
                      assert.equal(r!.status === 'failed' && r!.error.code, 'PENDING_ALREADY_RESOLVED');
                      return;
                    }
                    if (r!.status === 'created') {
                      assert.equal(h.resolved, false, `hold ${h.id} resolved twice`);
                      h.resolved = true;
                      model[h.from]!.dpe -= h.amount;
                      model[h.to]!.cpe -= h.amount;
                      if (op.t === 'post') applyPosted(h.from, h.to, amount ?? h.amount);
                      created.push({ input });
                    } else {
                      assert.equal(r!.status === 'failed' && r!.error.code, 'PENDING_ALREADY_RESOLVED', show(r));
                    }
                  },
                });
              } else if (op.t === 'dup' || op.t === 'conflict') {
                if (created.length === 0) continue;
                const orig = created[op.ref % created.length]!.input;
                const input: TransferInput =
                  op.t === 'dup'
                    ? orig
                    : 'void' in orig
                      ? { ...orig, reference: 'different' }
                      : { ...orig, kind: 'different' };
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => {
                    if (op.t === 'dup') assert.equal(r!.status, 'exists', show(r));
                    else assert.equal(r!.status === 'failed' && r!.error.code, 'IDEMPOTENCY_CONFLICT');
                  },
                });
              } else if (op.t === 'bad') {
                const input: TransferInput =
                  op.which === 'missing'
                    ? {
                        id: nextId(),
                        debitAccountId: ids[0]!,
                        creditAccountId: `${p}:missing`,
                        amount: 1n,
                        kind: 'pay',
                      }
                    : op.which === 'zero'
                      ? { id: nextId(), debitAccountId: ids[0]!, creditAccountId: ids[1]!, amount: 0n, kind: 'pay' }
                      : { id: nextId(), debitAccountId: ids[1]!, creditAccountId: ids[1]!, amount: 1n, kind: 'pay' };
                const expected = op.which === 'missing' ? 'ACCOUNT_NOT_FOUND' : 'INVALID_TRANSFER';
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => assert.equal(r!.status === 'failed' && r!.error.code, expected),
                });
              } else {
                const legs = op.legs.map((l) => ({ ...l, to: l.to === l.from ? (l.to + 1) % ids.length : l.to }));
                const inputs: TransferInput[] = legs.map((l) => ({
                  id: nextId(),
                  debitAccountId: ids[l.from]!,
                  creditAccountId: ids[l.to]!,
                  amount: BigInt(l.amount),
                  kind: 'leg',
                }));
                work.push({
                  op,
                  input: inputs,
                  check: (rs) => {
                    const st = rs.map((r) => r.status);
                    if (st.every((s) => s === 'created')) {
                      legs.forEach((l) => applyPosted(l.from, l.to, BigInt(l.amount)));
                      inputs.forEach((input) => created.push({ input }));
                    } else {
                      assert.ok(
                        st.every((s) => s === 'failed'),
                        `linked partially applied: ${st.join(',')}`,
                      );
                      const real = rs.filter((r) => r.status === 'failed' && r.error.code !== 'LINKED_TRANSFER_FAILED');
                      assert.equal(real.length, 1);
                      const r = real[0]!;
                      const leg = legs[rs.indexOf(r)]!;
                      const code = r.status === 'failed' ? r.error.code : '';
                      assert.ok(
                        (code === 'INSUFFICIENT_FUNDS' && mayFailFunds(leg.from)) ||
                          (code === 'LIMIT_EXCEEDED' && mayFailCap(leg.to)),
                        `unexpected ${code}`,
                      );
                    }
                  },
                });
              }
            }
            const results = await Promise.all(
              work.map((w, i) => ledgers[i % ledgers.length]!.createTransfers(w.input)),
            );
            // a hold with several resolvers this round: exactly one may win (checked in check via h.resolved)
            work.forEach((w, i) => w.check(results[i]!));
            void resolvingThisRound;
            void avail;

            // the database equals the model after every round
            const rows = await dbs[0]!('ledger_accounts').whereIn('id', ids).select('*');
            for (const row of rows) {
              const m = model[ids.indexOf(row.id)]!;
              assert.deepEqual(
                { dp: row.debits_posted, cp: row.credits_posted, dpe: row.debits_pending, cpe: row.credits_pending },
                m,
                `account ${row.id}`,
              );
              if (isWallet(ids.indexOf(row.id)))
                assert.ok(row.debits_posted + row.debits_pending <= row.credits_posted);
            }
          }
          // no outcome left the model in an impossible state
          for (let i = 2; i < ids.length; i++) assert.ok(avail(i) >= 0n);
        },
      ),
      {
        numRuns: Number(process.env.LEDGER_PROP_RUNS ?? 25),
        endOnFailure: true,
        ...(process.env.LEDGER_PROP_SEED ? { seed: Number(process.env.LEDGER_PROP_SEED) } : {}),
      },
    );
    const report = await ledgers[0]!.verify();
    assert.deepEqual(report.violations, []);
    assert.ok(totalOps >= 1000, `ran ${totalOps} operations`);
    const stats = ledgers.map((l) => l.batchStats);
    console.log(`property: ${totalOps} operations; batches per ledger ${JSON.stringify(stats)}`);
  });
});
