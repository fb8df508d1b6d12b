/**
 * Risk rules benchmark: `npx tsx bench/risk.ts` (about a minute).
 *
 * The latency the rules engine (src/risk) adds to a recharge's screening step, against the step
 * without it in the same run, on a throwaway PostgreSQL holding BENCH_HISTORY earlier recharges
 * (default 200,000, spread over 200 retailers and 5,000 subscriber numbers within the last two
 * hours, so every counting rule counts real rows) and a funded wallet per retailer. Each sample
 * screens and holds one new recharge, one at a time, alternating between:
 *   baseline  RechargeScreening.holdForRecharge with a rules engine that allows everything;
 *   rules     the same with the real engine and the seeded rules (every rule enabled);
 * and times RiskEngine.screen alone on the side. Prints p50/p99 of each, the added latency
 * (rules - baseline) and the ratio rules/baseline; the target is screen p99 < 10 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { startEmbeddedPostgres } from '../dev/infra/embedded-postgres';
import { freePort } from '../dev/infra/free-port';
import { Ledger, systemAccounts, walletAccount, walletAccountId } from '../src/ledger';
import { rechargeClearingAccount } from '../src/recharges/accounts';
import { RechargeScreening, type RechargeToHold } from '../src/recharges/screening';
import { RechargeStore } from '../src/recharges/store';
import { KycStore } from '../src/kyc/store';
import { RiskEngine } from '../src/risk/service';
import { RiskStore } from '../src/risk/store';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 200_000);
const RETAILERS = 200;
const SUBSCRIBERS = 5000;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99) };
};
const ms = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-bench-risk-'));
  fs.chmodSync(work, 0o755); // run as root, PostgreSQL runs as its own user
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false });
  await pg.createDatabase('bench');
  const db = createDb(pg.url('bench'), 8);
  const ledger = new Ledger(db);
  try {
    await migrateLatest(db);
    await ledger.ensureSystemAccounts();
    await ledger.createAccounts([rechargeClearingAccount]);
    const retailers = Array.from({ length: RETAILERS }, (_, i) => `usr_bench${String(i).padStart(4, '0')}`);
    await db('users').insert(
      retailers.map((id, i) => ({
        id,
        role: 'retailer',
        name: id,
        mobile: `7${String(i).padStart(9, '0')}`,
        path: id,
      })),
    );
    await ledger.createAccounts(retailers.map((id) => walletAccount(id)));
    for (const id of retailers) {
      await ledger.createTransfer({
        id: `bench-fund-${id}`,
        debitAccountId: systemAccounts.platformFloat,
        creditAccountId: walletAccountId(id),
        amount: 1_00_00_000_00n,
        kind: 'topup',
      });
    }
    await db.raw(
      `insert into recharges (id, user_id, workflow_id, operator, subscriber, amount, status, created_at)
       select 'rch_hist' || g, 'usr_bench' || lpad((g % ?)::text, 4, '0'), 'wf-hist-' || g, 'JIO',
              '98' || lpad((g % ?)::text, 8, '0'), 10000 + (g % 500) * 100,
              case when g % 20 = 0 then 'failed' else 'success' end,
              now() - make_interval(secs => (g % 7200))
         from generate_series(1, ?) g`,
      [RETAILERS, SUBSCRIBERS, HISTORY],
    );
    await db.raw(`update recharges set failure_code = 'PROVIDER_DECLINED' where status = 'failed'`);
    await db.raw('vacuum analyze');

    const store = new RechargeStore(db);
    const engine = new RiskEngine({
      db,
      store: new RiskStore(db),
      kyc: new KycStore(db),
      requestReKyc: async () => {},
    });
    const common = { db, ledger, store, spendGate: async () => {}, duplicateWindowSeconds: 120 };
    const baseline = new RechargeScreening({
      ...common,
      risk: { screen: async () => ({ action: 'allow', hits: [] }), reviewOf: async () => undefined },
    });
    const withRules = new RechargeScreening({ ...common, risk: engine });

    let n = 0;
    const next = (): RechargeToHold => {
      n++;
      return {
        rechargeId: `rch_bench${n}`,
        userId: retailers[n % RETAILERS]!,
        workflowId: `wf-bench-${n}`,
        operator: 'JIO',
        subscriber: `98${String(n % SUBSCRIBERS).padStart(8, '0')}`,
        circle: null,
        amount: BigInt(10_000 + (n % 997)),
      };
    };
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const runs = { baseline: [] as number[], rules: [] as number[], screen: [] as number[] };
    for (let i = 0; i < 50; i++) {
      await baseline.holdForRecharge(next());
      await withRules.holdForRecharge(next());
    }
    for (let i = 0; i < SAMPLES; i++) {
      runs.baseline.push(await timed(() => baseline.holdForRecharge(next())));
      runs.rules.push(await timed(() => withRules.holdForRecharge(next())));
      const r = next();
      runs.screen.push(
        await timed(() =>
          engine.screen({
            kind: 'recharge',
            subjectId: r.rechargeId,
            userId: r.userId,
            role: 'retailer',
            amount: r.amount,
            subscriber: r.subscriber,
          }),
        ),
      );
    }
    const rules = (await new RiskStore(db).rules()).filter((r) => r.enabled).length;
    const b = stats(runs.baseline);
    const w = stats(runs.rules);
    const s = stats(runs.screen);
    console.log(`risk bench: ${SAMPLES} samples each, ${rules} enabled rules, ${HISTORY} earlier recharges`);
    console.log(`  baseline screening+hold   p50 ${ms(b.p50)} ms  p99 ${ms(b.p99)} ms`);
    console.log(`  with rules                p50 ${ms(w.p50)} ms  p99 ${ms(w.p99)} ms`);
    console.log(`  RiskEngine.screen alone   p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms`);
    console.log(
      `  added: p50 ${ms(w.p50 - b.p50)} ms, p99 ${ms(w.p99 - b.p99)} ms; ratio rules/baseline p50 ${(w.p50 / b.p50).toFixed(2)}, p99 ${(w.p99 / b.p99).toFixed(2)}`,
    );
    console.log(`  target screen p99 < 10 ms: ${s.p99 < 10 ? 'met' : 'MISSED'}; load ${os.loadavg()[0]!.toFixed(1)}`);
  } finally {
    await ledger.close();
    await db.destroy();
    await pg.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
