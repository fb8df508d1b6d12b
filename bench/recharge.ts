/**
 * Recharge benchmark: `npm run bench:recharge`.
 *
 * Starts the whole platform on throwaway servers, with the operator simulator answering at once,
 * and drives recharges through the HTTP API with `?waitMs` so each request's latency is
 * request → final status. BENCH_TOPOLOGY picks what it runs on:
 *   dev      (default) PostgreSQL with default durability; the Temporal dev server with a SQLite
 *            file, as `npm start` runs it; the API in this process, one worker process;
 *   cluster  the production topology of `npm run start:cluster` (dev/infra/cluster.ts): the real
 *            Temporal server on PostgreSQL with BENCH_SHARDS history shards (default 4), two
 *            worker processes and two API processes (the retailers spread over both);
 *            BENCH_TEMPORAL_SPLIT=1 runs each Temporal service as its own process (CPU per service);
 *   both     one after the other, then the figures side by side.
 * Prints, for each:
 *   0. the latency floor: one client, one recharge at a time;
 *   1. throughput: BENCH_RECHARGES recharges from BENCH_CONCURRENCY concurrent clients, and the
 *      CPU each component spent per recharge in that phase (from /proc);
 *   2. latency at a fixed offered rate: BENCH_RATE recharges/s for BENCH_RATE_SECONDS;
 *   3. the history events of one recharge workflow, by type.
 */
import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../src/config';
import { createDb, type Db } from '../src/db/knex';
import { startCluster, type Cluster } from '../dev/infra/cluster';
import { freePort } from '../dev/infra/free-port';
import { freeTemporalPorts } from '../dev/infra/temporal-server';
import { startThrowawayInfra } from '../dev/infra/throwaway-infra';
import { createLogger } from '../src/logger';
import { startSimulators } from '../dev/simulators/start';
import { ApiClient, adminKey, uniqueMobile } from '../test/support/api';
import { startStack } from '../test/support/stack';
import { killProcess, startWorkerProcess } from '../test/support/worker-process';
import { cpuBetween, pidsByCmdline, sampleCpu, samplePg, type CpuPart } from './cpu';

const RECHARGES = Number(process.env.BENCH_RECHARGES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 20);
const TOPOLOGY = process.env.BENCH_TOPOLOGY ?? 'dev';
const SHARDS = Number(process.env.BENCH_SHARDS ?? 4);
const SPLIT = process.env.BENCH_TEMPORAL_SPLIT === '1';
const RETAILERS = 40;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** What the phases run against. */
interface Target {
  label: string;
  apiUrls: string[];
  db: Db;
  temporalAddress: string;
  cpuParts: CpuPart[];
  postgres: { url: string; names: Record<string, string> };
  stop: () => Promise<void>;
}

interface Figures {
  soloP50: number;
  soloP90: number;
  perSecond: number;
  p50: number;
  p99: number;
  rateP50: number;
  rateP99: number;
  events: number;
  /** CPU ms per recharge by component, in the throughput phase. */
  cpu: Map<string, number>;
}

/** The dev server, as `npm start` runs it; the API in this process, the worker in its own. */
async function devTarget(): Promise<Target> {
  const saved = { ...process.env };
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
  const db = createDb(infra.env.DATABASE_URL!);
  const port = infra.env.TEMPORAL_ADDRESS!.split(':').pop()!;
  const dbName = new URL(infra.env.DATABASE_URL!).pathname.slice(1);
  return {
    label: 'dev server',
    apiUrls: [stack.api.url],
    db,
    temporalAddress: infra.env.TEMPORAL_ADDRESS!,
    cpuParts: [
      { name: 'temporal dev server', pids: () => pidsByCmdline(['start-dev', `--port\0${port}\0`]) },
      { name: 'worker', pids: () => [worker.pid!] },
      { name: 'bench: API + load + simulators', pids: () => [process.pid] },
    ],
    postgres: { url: infra.env.DATABASE_URL!, names: { [dbName]: 'postgres: tijori' } },
    stop: async () => {
      await killProcess(worker);
      await db.destroy();
      await stack.stop();
      await infra.stop();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    },
  };
}

/** The production topology of `npm run start:cluster`, on throwaway data and free ports. */
async function clusterTarget(): Promise<Target> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-bench-cluster-'));
  fs.chmodSync(work, 0o755);
  const [apiA, apiB, pgPort, temporalPorts] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freeTemporalPorts(),
  ]);
  const base: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    SIM_OPERATOR_PORT: '0',
    SIM_KYC_PORT: '0',
    SIM_GATEWAY_PORT: '0',
    SIM_SMS_PORT: '0',
    SIM_SMTP_PORT: '0',
    SIM_MAIL_HTTP_PORT: '0',
    SIM_OPERATOR_LATENCY_MS: '0',
    DATABASE_POOL_MAX: '30',
    RECHARGE_DUPLICATE_WINDOW_SECONDS: '0',
    RECHARGE_BREAKER_THRESHOLD: '1000',
  };
  delete base.DATABASE_URL;
  delete base.TEMPORAL_ADDRESS;
  const config = loadConfig(base);
  const sims = await startSimulators(config, createLogger('silent'), {
    apiBaseUrl: `http://127.0.0.1:${apiA}`,
    kycWebhookSecret: config.kyc.webhookSecret,
  });
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      dataDir: work,
      postgresPort: pgPort,
      temporalPorts,
      shards: SHARDS,
      temporalProcessPerService: SPLIT,
      namespace: 'default',
      apiPorts: [apiA, apiB],
      workers: 2,
      appEnv: {
        ...base,
        OPERATOR_PROVIDERS_URL: `${sims.urls.operator}/providers`,
        KYC_PROVIDER_URL: sims.urls.kyc,
        GATEWAY_URL: sims.urls.gateway,
        TWILIO_API_BASE_URL: sims.urls.sms,
        SMTP_PORT: String(sims.urls.smtpPort),
      },
      onEvent: (m) => console.log(`  cluster: ${m}`),
    });
  } catch (err) {
    await sims.stop();
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const db = createDb(cluster.databaseUrl);
  const pids = (ps: typeof cluster.workers) => () => ps.map((p) => p.pid!);
  return {
    label: `cluster (${SHARDS} shards${SPLIT ? ', split' : ''})`,
    apiUrls: cluster.apiUrls,
    db,
    temporalAddress: cluster.temporalAddress,
    cpuParts: [
      ...cluster.temporal.processes.map((p) => ({ name: p.name, pids: () => [p.pid!] })),
      { name: 'workers (2)', pids: pids(cluster.workers) },
      { name: 'APIs (2)', pids: pids(cluster.apis) },
      { name: 'bench: load + simulators', pids: () => [process.pid] },
    ],
    postgres: {
      url: cluster.databaseUrl,
      names: {
        tijori: 'postgres: tijori',
        [cluster.temporalDatabases.database]: 'postgres: temporal',
        [cluster.temporalDatabases.visibilityDatabase]: 'postgres: temporal visibility',
      },
    },
    stop: async () => {
      await db.destroy();
      await cluster.stop();
      await sims.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

async function measure(target: Target): Promise<Figures> {
  const { db } = target;
  console.log(`\n=== ${target.label}`);
  const admin = new ApiClient(target.apiUrls[0]!, await adminKey(db));
  // ₹10,000 each: at the step-up threshold, so funding needs no mPIN.
  const retailers = (await fundRetailers(admin, RETAILERS, 1_000_000)).map(
    (r, i) => new ApiClient(target.apiUrls[i % target.apiUrls.length]!, r.key),
  );
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
  const cpu0 = await sampleCpu(target.cpuParts, target.postgres);
  const pg0 = await samplePg(target.postgres.url);
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
  const cpu = new Map(
    [...cpuBetween(cpu0, await sampleCpu(target.cpuParts, target.postgres))].map(([k, ms]) => [k, ms / RECHARGES]),
  );
  const pg1 = await samplePg(target.postgres.url);
  lat.sort((a, b) => a - b);
  console.log(`\n1. throughput: ${RECHARGES} recharges, ${CONCURRENCY} concurrent clients`);
  console.log(
    `   ${(RECHARGES / seconds).toFixed(1)} recharges/s completed; request→final p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; ${failures} not successful`,
  );
  const cpuTotal = [...cpu.values()].reduce((a, b) => a + b, 0);
  console.log(
    `   CPU per recharge: ${cpuTotal.toFixed(1)} ms in all (${(cpuTotal / 1000 / (1 / (RECHARGES / seconds))).toFixed(2)} cores busy)`,
  );
  for (const [k, ms] of [...cpu].sort((a, b) => b[1] - a[1])) console.log(`     ${ms.toFixed(1).padStart(6)} ms  ${k}`);
  console.log(`   PostgreSQL per recharge: ${((pg1.walBytes - pg0.walBytes) / RECHARGES / 1024).toFixed(1)} KB of WAL`);
  for (const [db, label] of Object.entries(target.postgres.names)) {
    const a = pg0.byDatabase.get(db);
    const b = pg1.byDatabase.get(db);
    if (!a || !b) continue;
    console.log(
      `     ${((b.commits - a.commits) / RECHARGES).toFixed(1).padStart(6)} transactions, ${((b.rows - a.rows) / RECHARGES).toFixed(1)} rows written  ${label}`,
    );
  }

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
  const client = new Client({ connection: await Connection.connect({ address: target.temporalAddress }) });
  const history = await client.workflow.getHandle(wf.workflow_id).fetchHistory();
  const byType = new Map<string, number>();
  for (const e of history.events ?? []) {
    const t = temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? 'UNKNOWN';
    byType.set(t, (byType.get(t) ?? 0) + 1);
  }
  console.log(`\n3. history of one successful recharge: ${history.events?.length ?? 0} events`);
  for (const [t, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`   ${String(n).padStart(3)}  ${t}`);
  await client.connection.close();
  return {
    soloP50: pct(solo, 50),
    soloP90: pct(solo, 90),
    perSecond: RECHARGES / seconds,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    rateP50: pct(rateLat, 50),
    rateP99: pct(rateLat, 99),
    events: history.events?.length ?? 0,
    cpu,
  };
}

function sideBySide(results: Array<[string, Figures]>): void {
  const row = (label: string, f: (x: Figures) => string) =>
    console.log(`  ${label.padEnd(34)}${results.map(([, x]) => f(x).padStart(22)).join('')}`);
  console.log(`\n=== side by side\n  ${''.padEnd(34)}${results.map(([l]) => l.padStart(22)).join('')}`);
  row('sequential p50 / p90 (ms)', (x) => `${x.soloP50.toFixed(0)} / ${x.soloP90.toFixed(0)}`);
  row(`throughput (${CONCURRENCY} clients), /s`, (x) => x.perSecond.toFixed(1));
  row('  p50 / p99 (ms)', (x) => `${x.p50.toFixed(0)} / ${x.p99.toFixed(0)}`);
  row(`fixed ${RATE}/s p50 / p99 (ms)`, (x) => `${x.rateP50.toFixed(0)} / ${x.rateP99.toFixed(0)}`);
  row('history events per recharge', (x) => String(x.events));
  row('CPU per recharge, all (ms)', (x) => [...x.cpu.values()].reduce((a, b) => a + b, 0).toFixed(1));
}

async function main(): Promise<void> {
  const topologies = TOPOLOGY === 'both' ? ['dev', 'cluster'] : [TOPOLOGY];
  if (!topologies.every((t) => t === 'dev' || t === 'cluster')) {
    throw new Error(`BENCH_TOPOLOGY must be dev, cluster or both, not ${TOPOLOGY}`);
  }
  const results: Array<[string, Figures]> = [];
  for (const t of topologies) {
    const target = t === 'cluster' ? await clusterTarget() : await devTarget();
    try {
      results.push([target.label, await measure(target)]);
    } finally {
      await target.stop();
    }
  }
  if (results.length > 1) sideBySide(results);
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
