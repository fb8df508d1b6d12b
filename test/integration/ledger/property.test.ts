import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Db } from '../../../src/db/knex';
import { Ledger, type TransferInput, type TransferResult } from '../../../src/ledger';
import { testDb, uniq } from '../../support/db';

/**
 * Property: random operations (posted transfers, holds, posts, voids, replays, conflicting
 * replays, invalid and linked transfers, transfers exempt from caps, balancing transfers, dues
 * recorded and collected, alone and in linked batches after a credit), run concurrently from four Ledger instances with their
 * own connection pools, always leave the database equal to a simple in-memory model, with each
 * outcome explained by the model, and verify() clean.
 *
 * Operations of one round run concurrently (so their order is unknown); the model is updated
 * from the outcomes, which must be plausible: a transfer may fail for funds/limits only where the
 * model says it could; deterministic errors must always occur; of several resolutions of one hold
 * exactly one wins; an exempt transfer is never refused by a cap; a balancing transfer moves at most
 * its bound, and less only if it left its clamped account with nothing more to give or take.
 */

const WALLETS = 6;
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
type Acc = { dp: bigint; cp: bigint; dpe: bigint; cpe: bigint };

type Op =
  | { t: 'transfer'; from: number; to: number; amount: number; pending: boolean; exempt: boolean }
  | { t: 'balance'; from: number; to: number; amount: number; exempt: boolean }
  | { t: 'due'; amount: number }
  | { t: 'collect'; wallet: number; amount: number; credit: number }
  | { t: 'post'; hold: number; partial: number }
  | { t: 'void'; hold: number }
  | { t: 'dup'; ref: number }
  | { t: 'conflict'; ref: number }
  | { t: 'bad'; which: 'missing' | 'zero' | 'self' }
  | { t: 'linked'; legs: Array<{ from: number; to: number; amount: number }> };

// account indexes: 0 = source (float, unflagged), 1 = sink (provider), 2.. = wallets, then the
// dues account (debit-normal, credits must not exceed debits), used by due/collect only
const accIdx = fc.integer({ min: 0, max: WALLETS + 1 });
const walletIdx = fc.integer({ min: 2, max: WALLETS + 1 });
const DUES = WALLETS + 2;
const rarely = fc.integer({ min: 0, max: 3 }).map((x) => x === 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('transfer' as const),
      from: accIdx,
      to: accIdx,
      amount: fc.integer({ min: 1, max: 900 }),
      pending: fc.boolean(),
      exempt: rarely,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('balance' as const),
      // credit-normal accounts (the sink, unflagged, may be negative: it then gives 0)
      from: fc.integer({ min: 1, max: WALLETS + 1 }),
      to: accIdx,
      amount: fc.integer({ min: 1, max: 4_000 }),
      exempt: rarely,
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('due' as const), amount: fc.integer({ min: 1, max: 1_500 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('collect' as const),
      wallet: walletIdx,
      amount: fc.integer({ min: 1, max: 2_000 }),
      // > 0: in one linked batch after a credit of that much to the wallet
      credit: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 800 })),
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
          const ids = [
            `${p}:src`,
            `${p}:sink`,
            ...Array.from({ length: WALLETS }, (_, i) => `${p}:w${i}`),
            `${p}:dues`,
          ];
          const caps = ids.map((_, i) => (i >= 2 && i < DUES && i % 3 === 0 ? 6_000n : null));
          await ledgers[0]!.createAccounts(
            ids.map((id, i) =>
              i === DUES
                ? { id, kind: 'dues', normalSide: 'debit' as const, flags: { creditsMustNotExceedDebits: true } }
                : {
                    id,
                    kind: i === 0 ? 'float' : i === 1 ? 'provider' : 'wallet',
                    normalSide: i === 0 ? ('debit' as const) : ('credit' as const),
                    flags: { debitsMustNotExceedCredits: i >= 2 },
                    cap: caps[i],
                  },
            ),
          );
          const model: Acc[] = ids.map(() => ({ dp: 0n, cp: 0n, dpe: 0n, cpe: 0n }));
          const isWallet = (i: number) => i >= 2 && i < DUES;
          const avail = (i: number) => model[i]!.cp - model[i]!.dp - model[i]!.dpe;
          const holds: Array<{ id: string; from: number; to: number; amount: bigint; resolved: boolean }> = [];
          const created: Array<{ input: TransferInput; amount?: bigint }> = [];
          let n = 0;
          const nextId = () => `${p}:x${n++}`;
          /** The op's two accounts (`to` moved on when it names `from`) and a transfer of its amount between them. */
          const between = (op: { from: number; to: number; amount: number }) => {
            const from = op.from;
            const to = op.to === op.from ? (op.to + 1) % DUES : op.to;
            const leg = {
              id: nextId(),
              debitAccountId: ids[from]!,
              creditAccountId: ids[to]!,
              amount: BigInt(op.amount),
            };
            return { from, to, leg };
          };

          // fund the wallets
          for (let i = 2; i < DUES; i++) {
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
          const mayFailCap = (to: number, exempt = false) => !exempt && caps[to] !== null;
          // a balancing transfer that moved less than its bound left one of its clamped accounts with
          // nothing more to give (debit: available <= 0) or take (credit: debits - credits - incoming
          // holds <= 0), and exactly nothing if it moved anything
          const clampChecks: Array<{ id: string; moved: boolean; balancingDebit: boolean; balancingCredit: boolean }> =
            [];
          const checkClamps = async () => {
            for (const c of clampChecks.splice(0)) {
              const es = await dbs[0]!('ledger_entries').where({ transfer_id: c.id }).orderBy('seq');
              const debit = es.find((e) => e.side === 'debit')!;
              const credit = es.find((e) => e.side === 'credit')!;
              const room = [
                // every account a balancing debit leaves here is credit-normal
                ...(c.balancingDebit ? [debit.balance_after - debit.held_after] : []),
                // every account a balancing credit reaches here is debit-normal with no incoming holds
                ...(c.balancingCredit ? [credit.balance_after] : []),
              ];
              assert.ok(
                c.moved ? room.includes(0n) : room.some((x: bigint) => x <= 0n),
                `${c.id} clamped with room left: ${show(room)}`,
              );
            }
          };
          const balancing = (
            input: TransferInput,
            from: number,
            to: number,
            r: TransferResult,
            flags: { balancingDebit: boolean; balancingCredit: boolean },
          ) => {
            if (r.status !== 'created') return false;
            const bound = (input as { amount: bigint }).amount;
            const amt = r.transfer.amount;
            assert.ok(amt >= 0n && amt <= bound, `${input.id}: ${amt} outside 0..${bound}`);
            assert.equal(r.transfer.requestedAmount, bound);
            if (amt < bound) clampChecks.push({ id: input.id, moved: amt > 0n, ...flags });
            applyPosted(from, to, amt);
            created.push({ input, amount: amt });
            return true;
          };

          for (const round of rounds) {
            totalOps += round.length;
            const resolvingThisRound = new Map<number, number>();
            type Pending = { op: Op; input: TransferInput[]; check: (r: TransferResult[]) => void };
            const work: Pending[] = [];
            for (const op of round) {
              if (op.t === 'transfer') {
                const { from, to, leg } = between(op);
                const input: TransferInput = {
                  ...leg,
                  ...(op.pending ? { kind: 'hold', pending: true } : { kind: 'pay' }),
                  exemptFromCap: op.exempt,
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
                          (code === 'LIMIT_EXCEEDED' && mayFailCap(to, op.exempt)),
                        `unexpected ${code} for ${JSON.stringify(op)}`,
                      );
                    }
                  },
                });
              } else if (op.t === 'balance') {
                const { from, to, leg } = between(op);
                const input: TransferInput = {
                  ...leg,
                  kind: 'sweep',
                  balancingDebit: true,
                  exemptFromCap: op.exempt,
                };
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => {
                    if (balancing(input, from, to, r!, { balancingDebit: true, balancingCredit: false })) return;
                    const code = r!.status === 'failed' ? r!.error.code : r!.status;
                    assert.ok(
                      code === 'LIMIT_EXCEEDED' && mayFailCap(to, op.exempt),
                      `unexpected ${code} for ${show(op)}`,
                    );
                  },
                });
              } else if (op.t === 'due') {
                const input: TransferInput = {
                  id: nextId(),
                  debitAccountId: ids[DUES]!,
                  creditAccountId: ids[1]!,
                  amount: BigInt(op.amount),
                  kind: 'due',
                };
                work.push({
                  op,
                  input: [input],
                  check: ([r]) => {
                    assert.equal(r!.status, 'created', show(r));
                    applyPosted(DUES, 1, BigInt(op.amount));
                    created.push({ input });
                  },
                });
              } else if (op.t === 'collect') {
                const flags = { balancingDebit: true, balancingCredit: true };
                const collect: TransferInput = {
                  id: nextId(),
                  debitAccountId: ids[op.wallet]!,
                  creditAccountId: ids[DUES]!,
                  amount: BigInt(op.amount),
                  kind: 'due_collected',
                  ...flags,
                };
                const credit: TransferInput | null = op.credit
                  ? {
                      id: nextId(),
                      debitAccountId: ids[0]!,
                      creditAccountId: ids[op.wallet]!,
                      amount: BigInt(op.credit),
                      kind: 'credit',
                    }
                  : null;
                work.push({
                  op,
                  input: credit ? [credit, collect] : [collect],
                  check: (rs) => {
                    if (credit && rs[0]!.status !== 'created') {
                      // only the credit can fail (the wallet's cap); the collection then is not applied
                      const code = rs[0]!.status === 'failed' ? rs[0]!.error.code : '';
                      assert.ok(code === 'LIMIT_EXCEEDED' && mayFailCap(op.wallet), `unexpected ${code}`);
                      assert.equal(rs[1]!.status === 'failed' && rs[1]!.error.code, 'LINKED_TRANSFER_FAILED');
                      return;
                    }
                    if (credit) {
                      applyPosted(0, op.wallet, BigInt(op.credit));
                      created.push({ input: credit });
                    }
                    const r = rs[rs.length - 1]!;
                    assert.ok(balancing(collect, op.wallet, DUES, r, flags), show(r));
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
                const { input: orig, amount: origAmount } = created[op.ref % created.length]!;
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
                    if (op.t === 'dup') {
                      assert.equal(r!.status, 'exists', show(r));
                      // a balancing transfer's replay answers the amount it moved then
                      if (origAmount !== undefined)
                        assert.equal(r!.status === 'exists' && r!.transfer.amount, origAmount);
                    } else assert.equal(r!.status === 'failed' && r!.error.code, 'IDEMPOTENCY_CONFLICT');
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
                const legs = op.legs.map((l) => ({ ...l, to: l.to === l.from ? (l.to + 1) % DUES : l.to }));
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
            await checkClamps();
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
              if (row.id === ids[DUES]) assert.ok(row.credits_posted <= row.debits_posted);
            }
          }
          // no outcome left the model in an impossible state
          for (let i = 2; i < DUES; i++) assert.ok(avail(i) >= 0n);
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
