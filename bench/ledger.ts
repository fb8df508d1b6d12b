/**
 * Ledger benchmark: `npm run bench:ledger`.
 *
 * Starts its own embedded PostgreSQL (default durability: fsync and synchronous_commit on),
 * migrates, and measures, with many concurrent callers of Ledger.createTransfer (each caller
 * awaits one transfer at a time; the in-process batcher groups them into shared DB transactions):
 *   (a) random transfers among 10,000 wallets (flag-checked: wallets never go negative)
 *   (b) every transfer touching one hot account (the platform float pays random wallets)
 * then fills the ledger to >= 1,000,000 entries and times verify().
 *
 * Env: BENCH_SECONDS (per scenario, default 15), BENCH_CALLERS (default 2000),
 *      BENCH_ENTRIES (default 1000000), BENCH_MAX_BATCH (default 4000), BENCH_IN_FLIGHT (default 2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { startEmbeddedPostgres } from '../dev/infra/embedded-postgres';
import { freePort } from '../dev/infra/free-port';
import { Ledger, type AccountInput, type PhaseObserver, type TransferInput } from '../src/ledger';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 2000);
const TARGET_ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const MAX_BATCH = Number(process.env.BENCH_MAX_BATCH ?? 4000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 2);
const ACCOUNTS = 10_000;
const FILL_DEADLINE_S = 240;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  name: string;
  transfers: number;
  failed: number;
  seconds: number;
  tps: number;
  p50: number;
  p99: number;
  batches: number;
  avgBatch: number;
  maxBatch: number;
}

let seq = 0;
/** Cumulative time (ms) spent in each phase of the posting path, told by the Ledger's onPhase. */
const phaseTimings: Record<string, number> = {};
const onPhase: PhaseObserver = (phase, ms) => {
  phaseTimings[phase] = (phaseTimings[phase] ?? 0) + ms;
};
function phaseSummary(): Record<string, number> {
  const out = Object.fromEntries(Object.entries(phaseTimings).map(([k, v]) => [k, Math.round(v)]));
  for (const k of Object.keys(phaseTimings)) phaseTimings[k] = 0;
  return out;
}
async function runScenario(name: string, ledger: Ledger, seconds: number, make: () => TransferInput): Promise<Result> {
  const stats0 = { ...ledger.batchStats };
  const lat: number[] = [];
  let failed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const caller = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const [r] = await ledger.createTransfers([make()]);
      lat.push(performance.now() - t0);
      if (r!.status === 'failed') failed++;
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const s = ledger.batchStats;
  const batches = s.batches - stats0.batches;
  return {
    name,
    transfers: lat.length,
    failed,
    seconds: Number(secs.toFixed(2)),
    tps: Math.round(lat.length / secs),
    p50: Number(pct(lat, 50).toFixed(1)),
    p99: Number(pct(lat, 99).toFixed(1)),
    batches,
    avgBatch: Math.round((s.transfers - stats0.transfers) / Math.max(1, batches)),
    maxBatch: s.maxBatch,
  };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-bench-'));
  fs.chmodSync(work, 0o755);
  console.log(
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}`,
  );
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false });
  let db: Db | undefined;
  let ledger: Ledger | undefined;
  try {
    await pg.createDatabase('bench');
    db = createDb(pg.url('bench'), 8);
    const settings = await db.raw(
      `select name, setting from pg_settings where name in ('fsync','synchronous_commit','full_page_writes','shared_buffers','wal_buffers','max_wal_size','checkpoint_timeout','server_version')`,
    );
    console.log(
      'postgres:',
      Object.fromEntries(settings.rows.map((r: { name: string; setting: string }) => [r.name, r.setting])),
    );
    await migrateLatest(db);
    ledger = new Ledger(db, { maxBatchTransfers: MAX_BATCH, maxInFlight: IN_FLIGHT, onPhase });
    const L = ledger;

    const float = 'bench:float';
    const hot = 'bench:hot';
    const wallets = Array.from({ length: ACCOUNTS }, (_, i) => `bench:w${i}`);
    const defs: AccountInput[] = [
      { id: float, kind: 'platform_float', normalSide: 'debit' },
      { id: hot, kind: 'platform_float', normalSide: 'debit' },
      ...wallets.map((id): AccountInput => ({ id, kind: 'wallet', flags: { debitsMustNotExceedCredits: true } })),
    ];
    for (let i = 0; i < defs.length; i += 2000) await L.createAccounts(defs.slice(i, i + 2000));
    // fund every wallet (also warms up)
    const t0 = performance.now();
    await Promise.all(
      wallets.map((w, i) =>
        L.createTransfers([
          { id: `fund:${i}`, debitAccountId: float, creditAccountId: w, amount: 1_000_000_000n, kind: 'fund' },
        ]),
      ),
    );
    console.log(`funded ${ACCOUNTS} wallets in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const rnd = (n: number) => Math.floor(Math.random() * n);
    const randomTransfer = (): TransferInput => {
      const a = rnd(ACCOUNTS);
      let b = rnd(ACCOUNTS - 1);
      if (b >= a) b++;
      return {
        id: `r:${seq++}`,
        debitAccountId: wallets[a]!,
        creditAccountId: wallets[b]!,
        amount: BigInt(1 + rnd(10_000)),
        kind: 'p2p',
      };
    };
    const hotTransfer = (): TransferInput => ({
      id: `h:${seq++}`,
      debitAccountId: hot,
      creditAccountId: wallets[rnd(ACCOUNTS)]!,
      amount: BigInt(1 + rnd(10_000)),
      kind: 'topup',
    });

    const results: Result[] = [];
    results.push(await runScenario(`(a) random among ${ACCOUNTS} accounts`, L, SECONDS, randomTransfer));
    console.log(results.at(-1), phaseSummary());
    results.push(await runScenario('(b) one hot account in every transfer', L, SECONDS, hotTransfer));
    console.log(results.at(-1), phaseSummary());

    // fill to the target entry count, then time verify()
    const count = async () =>
      Number((await db!.raw('select last_seq from ledger_chain_head where id = 1')).rows[0].last_seq);
    const fillStart = performance.now();
    let entries = await count();
    while (entries < TARGET_ENTRIES && (performance.now() - fillStart) / 1000 < FILL_DEADLINE_S) {
      const need = Math.ceil((TARGET_ENTRIES - entries) / 2);
      const per = Math.min(need, 50_000);
      await Promise.all(
        Array.from({ length: Math.min(CALLERS, per) }, async (_, c) => {
          for (let k = c; k < per; k += CALLERS) await L.createTransfers([randomTransfer()]);
        }),
      );
      entries = await count();
    }
    console.log(
      'WAL written and checkpoints (scenarios + fill):',
      (
        await db.raw(
          `select pg_size_pretty(pg_current_wal_lsn() - '0/0') wal, num_timed, num_requested from pg_stat_checkpointer`,
        )
      ).rows[0],
    );
    console.log(`filled to ${entries} entries in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
    await db.raw('vacuum analyze ledger_entries');
    await db.raw('vacuum analyze ledger_transfers');
    const v0 = performance.now();
    const report = await L.verify();
    const verifySeconds = (performance.now() - v0) / 1000;
    console.log(
      `verify(): ok=${report.ok} over ${report.entries} entries, ${report.transfers} transfers, ${report.accounts} accounts in ${verifySeconds.toFixed(2)} s`,
    );
    if (!report.ok) console.log(JSON.stringify(report.violations.slice(0, 5), null, 2));

    console.log('\nsummary');
    console.table(
      results.map((r) => ({
        scenario: r.name,
        'transfers/s': r.tps,
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        transfers: r.transfers,
        failed: r.failed,
        'avg batch': r.avgBatch,
        batches: r.batches,
      })),
    );
    console.log(`verify(): ${verifySeconds.toFixed(2)} s over ${report.entries} entries (ok=${report.ok})`);
    console.log(`settings: callers=${CALLERS} maxBatch=${MAX_BATCH} inFlight=${IN_FLIGHT} seconds=${SECONDS}`);
  } finally {
    await ledger?.close().catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    await pg.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
