/**
 * Recharge benchmark: `npm run bench:recharge`.
 *
 * Starts the whole platform on throwaway servers (PostgreSQL with default durability; the
 * Temporal dev server with a SQLite file, as `npm start` runs it), with the operator simulator
 * answering at once, and drives recharges through the HTTP API with `?waitMs` so each request's
 * latency is request → final status. Prints:
 *   0. the latency floor: one client, one recharge at a time;
 *   1. throughput: BENCH_RECHARGES recharges from BENCH_CONCURRENCY concurrent clients;
 *   2. latency at a fixed offered rate: BENCH_RATE recharges/s for BENCH_RATE_SECONDS;
 *   3. the history events of one recharge workflow, by type.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { startThrowawayInfra } from '../src/dev/throwaway-infra';
import { connectClient } from '../src/temporal/connection';
import { ApiClient, adminKey, uniqueMobile } from '../test/support/api';
import { testDb } from '../test/support/db';
import { startStack } from '../test/support/stack';
import { killProcess, startWorkerProcess } from '../test/support/worker-process';

const RECHARGES = Number(process.env.BENCH_RECHARGES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 20);
const RETAILERS = 40;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function main(): Promise<void> {
  const infra = await startThrowawayInfra(process.env, {
    unsafeFastPostgres: false,
    temporalSqliteFile: process.env.BENCH_TEMPORAL_IN_MEMORY !== '1',
  });
  Object.assign(process.env, infra.env);
  // The worker runs as its own process, as in production, so API and worker use both cores.
  const stack = await startStack({
    noWorker: true,
    env: {
      LOG_LEVEL: 'warn',
      SIM_OPERATOR_LATENCY_MS: '0',
      DATABASE_POOL_MAX: '30',
      RECHARGE_DUPLICATE_WINDOW_SECONDS: '0',
    },
  });
  const worker = await startWorkerProcess(stack.env);
  const db = testDb();
  try {
    const admin = new ApiClient(stack.api.url, await adminKey(db));
    // ₹10,000 each: at the step-up threshold, so funding needs no mPIN.
    const retailers = await fundRetailers(admin, RETAILERS, 1_000_000);
    const fire = async (): Promise<{ ms: number; ok: boolean; id?: string }> => {
      const r = retailers[randomInt(retailers.length)]!;
      const started = performance.now();
      const res = await r.call<{ id: string; status: string }>(
        'POST',
        '/v1/recharges?waitMs=30000',
        { operator: 'JIO', subscriber: `98${String(randomInt(1e8)).padStart(8, '0')}`, amount: 1000 },
        { 'Idempotency-Key': randomUUID() },
      );
      return {
        ms: performance.now() - started,
        ok: res.status === 200 && res.body.status === 'success',
        id: res.body.id,
      };
    };

    // 0. One client at a time: the latency floor (also warms JIT, pools and workflow caches).
    const solo: number[] = [];
    for (let i = 0; i < 30; i++) solo.push((await fire()).ms);
    solo.sort((a, b) => a - b);
    console.log(
      `\n0. one client, sequential: request→final p50 ${pct(solo, 50).toFixed(0)} ms, p90 ${pct(solo, 90).toFixed(0)} ms`,
    );

    // 1. Throughput, closed loop.
    const lat: number[] = [];
    let failures = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < RECHARGES) {
          const r = await fire();
          lat.push(r.ms);
          if (!r.ok) failures++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    console.log(`\n1. throughput: ${RECHARGES} recharges, ${CONCURRENCY} concurrent clients`);
    console.log(
      `   ${(RECHARGES / seconds).toFixed(1)} recharges/s completed; request→final p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; ${failures} not successful`,
    );

    // 2. Latency at a fixed offered rate, open loop.
    const rateLat: number[] = [];
    let rateFailures = 0;
    const pending: Array<Promise<void>> = [];
    const total = RATE * RATE_SECONDS;
    const r0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = r0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        fire().then((r) => {
          rateLat.push(r.ms);
          if (!r.ok) rateFailures++;
        }),
      );
    }
    await Promise.all(pending);
    rateLat.sort((a, b) => a - b);
    console.log(`\n2. fixed rate: ${RATE} recharges/s offered for ${RATE_SECONDS} s (${total} recharges)`);
    console.log(
      `   request→final p50 ${pct(rateLat, 50).toFixed(0)} ms, p99 ${pct(rateLat, 99).toFixed(0)} ms, max ${rateLat[rateLat.length - 1]!.toFixed(0)} ms; ${rateFailures} not successful`,
    );

    // 3. What one recharge costs Temporal.
    const sample = await fire();
    const wf = (await db('recharges').where({ id: sample.id }).first('workflow_id')) as { workflow_id: string };
    const client = await connectClient(stack.config.temporal);
    const history = await client.workflow.getHandle(wf.workflow_id).fetchHistory();
    const byType = new Map<string, number>();
    for (const e of history.events ?? []) {
      const t = temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? 'UNKNOWN';
      byType.set(t, (byType.get(t) ?? 0) + 1);
    }
    console.log(`\n3. history of one successful recharge: ${history.events?.length ?? 0} events`);
    for (const [t, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`   ${String(n).padStart(3)}  ${t}`);
    await client.connection.close();
  } finally {
    await killProcess(worker);
    await db.destroy();
    await stack.stop();
    await infra.stop();
  }
}

/** Retailers under one distributor, each funded by its own bank top-up approved by the admin. */
async function fundRetailers(admin: ApiClient, n: number, eachPaise: number): Promise<ApiClient[]> {
  const d = await admin.post('/v1/users', { role: 'distributor', name: 'Bench dist', mobile: uniqueMobile() }, false);
  const distId = d.body.id as string;
  const out: ApiClient[] = [];
  for (let i = 0; i < n; i++) {
    const r = await admin.post(
      '/v1/users',
      { role: 'retailer', name: `R${i}`, mobile: uniqueMobile(), parentId: distId },
      false,
    );
    const retailer = admin.as(
      (await admin.post('/v1/api-keys', { userId: r.body.id, name: 'bench' }, false)).body.key as string,
    );
    const t = await retailer.post('/v1/topups', {
      method: 'bank_transfer',
      amount: eachPaise,
      utr: `BENCH${i}X${Date.now()}`,
    });
    const a = await admin.post(`/v1/topups/${t.body.id as string}/approve`, {}, false);
    if (a.body.status !== 'completed') throw new Error(`funding failed: ${JSON.stringify(a.body)}`);
    out.push(retailer);
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
