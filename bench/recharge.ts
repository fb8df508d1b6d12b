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
 *   C. the ceiling of the Temporal server it runs on, from BENCH_CONCURRENCY clients: bare
 *      workflows that do nothing, and bare workflows of the recharge's shape (local activity,
 *      activity, local activity; bench/ceiling-workflows.ts, run by the bench's own worker
 *      process); every later recharges/s figure is also given as a percentage of both. Then
 *      what-ifs for the recharge workflow (BENCH_WHAT_IFS=0 skips them): the shape with the
 *      recharge's patch markers and status upsert, then with fewer of them, then with the
 *      provider call as a local activity;
 *   0. the latency floor: one client, one recharge at a time;
 *   1. throughput: BENCH_RECHARGES recharges from BENCH_CONCURRENCY concurrent clients, and the
 *      CPU each component spent per recharge in that phase (from /proc); every retailer has a
 *      webhook endpoint (a receiver in this process) and a mobile for SMS alerts, and after the
 *      phase the bench waits until each of its recharges was announced (recharge.succeeded and
 *      wallet.debited webhooks with valid signatures; the debit and success SMS alerts sent)
 *      and prints the counts;
 *   2. latency at a fixed offered rate: BENCH_RATE recharges/s for BENCH_RATE_SECONDS;
 *   3. the history events of one recharge workflow, by type, and for the throughput phase the
 *      workflows Temporal ran and their history events per recharge (read from Temporal);
 *   4. overload: twice the throughput of 1 offered for BENCH_OVERLOAD_SECONDS (default 15) to
 *      API processes whose admission bound (RECHARGE_MAX_IN_FLIGHT) is BENCH_OVERLOAD_BOUND
 *      (default: 0.5 s of that throughput): p50/p99 of the accepted, how many were refused, and
 *      a check that no refused request left a recharge, an idempotency record or a workflow.
 * Each phase prints the 1-minute load average: the machine is shared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../src/config';
import { createDb, type Db } from '../src/db/knex';
import { rechargeId } from '../src/recharges/types';
import { startApi } from '../src/run/api';
import { apiProcess, startCluster, type Cluster } from '../dev/infra/cluster';
import { freePort } from '../dev/infra/free-port';
import { freeTemporalPorts } from '../dev/infra/temporal-server';
import { startThrowawayInfra } from '../dev/infra/throwaway-infra';
import { createLogger } from '../src/logger';
import { startSimulators } from '../dev/simulators/start';
import { listen } from '../dev/simulators/http';
import { createWebhookReceiver, type WebhookReceiver } from '../dev/simulators/webhook-receiver';
import { rechargeReference } from '../src/recharges/postings';
import { verifySignature } from '../src/webhooks/signature';
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
const OVERLOAD_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 15);
const OVERLOAD_BOUND = process.env.BENCH_OVERLOAD_BOUND ? Number(process.env.BENCH_OVERLOAD_BOUND) : undefined;
const CEILING_WORKFLOWS = Number(process.env.BENCH_CEILING_WORKFLOWS ?? RECHARGES);
const RETAILERS = 40;
const CEILING_TASK_QUEUE = 'bench-ceiling';

const load = () => `load ${os.loadavg()[0]!.toFixed(1)}`;

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
  /** API processes like the target's, but with this admission bound (the overload phase). */
  boundedApis: (bound: number) => Promise<{ urls: string[]; stop: () => Promise<void> }>;
  stop: () => Promise<void>;
}

interface Figures {
  load: number;
  ceilingEmpty: number;
  ceilingShape: number;
  /** Temporal's CPU (server and its databases) per workflow, ms: empty, recharge shape. */
  ceilingCpu: [number, number];
  workflowsPerRecharge: number;
  eventsPerRecharge: number;
  overload: {
    offered: number;
    bound: number;
    accepted: number;
    refused: number;
    other: number;
    p50: number;
    p99: number;
    clean: boolean;
  };
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
    boundedApis: async (bound) => {
      const api = await startApi(
        loadConfig({ ...stack.env, API_PORT: '0', RECHARGE_MAX_IN_FLIGHT: String(bound) }),
        createLogger('warn'),
      );
      return { urls: [api.url], stop: api.stop };
    },
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
    boundedApis: async (bound) => {
      const ports = [await freePort(), await freePort()];
      const apis = ports.map((port, i) =>
        apiProcess(
          { ...cluster.appEnv, RECHARGE_MAX_IN_FLIGHT: String(bound) },
          port,
          `api-bounded-${i + 1}`,
          cluster.logDir,
        ),
      );
      await Promise.all(apis.map((a) => a.start()));
      return {
        urls: ports.map((p) => `http://127.0.0.1:${p}`),
        stop: async () => {
          for (const a of apis) {
            await a.stop();
            a.close();
          }
        },
      };
    },
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

/** The bench's own worker process for the ceiling workflows, resolved once it polls. */
function startCeilingWorker(temporalAddress: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'ceiling-worker.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, BENCH_CEILING_TASK_QUEUE: CEILING_TASK_QUEUE },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ceiling worker started')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`ceiling worker exited (${code}) before starting`)));
  });
}

/** C. Bare workflows from CONCURRENCY clients: completed per second, and Temporal's CPU per workflow. */
async function ceiling(
  target: Target,
  client: Client,
): Promise<{ empty: number; shape: number; cpu: [number, number] }> {
  const worker = await startCeilingWorker(target.temporalAddress);
  const temporalCpu = (m: Map<string, number>) =>
    [...m].filter(([k]) => /temporal/i.test(k)).reduce((a, [, ms]) => a + ms, 0);
  const run = async (type: string, n: number, clients: number) => {
    let next = 0;
    let last = '';
    const cpu0 = await sampleCpu(target.cpuParts, target.postgres);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next++ < n) {
          last = `bench-${randomUUID()}`;
          await client.workflow.execute(type, { taskQueue: CEILING_TASK_QUEUE, workflowId: last });
        }
      }),
    );
    const perSecond = n / ((performance.now() - t0) / 1000);
    const cpu = temporalCpu(cpuBetween(cpu0, await sampleCpu(target.cpuParts, target.postgres))) / n;
    const events = (await client.workflow.getHandle(last).fetchHistory()).events?.length ?? 0;
    return { perSecond, cpu, events };
  };
  const line = (label: string, r: Awaited<ReturnType<typeof run>>) =>
    console.log(
      `   ${label.padEnd(52)}${r.perSecond.toFixed(1).padStart(6)} /s   Temporal CPU ${r.cpu.toFixed(1).padStart(5)} ms each   ${r.events} events`,
    );
  const whatIfs: Array<[string, string]> = [
    ['rechargeTodayWorkflow', "  today's recharge: + 3 patches, status upsert"],
    ['rechargeOnePatchWorkflow', '  one patch instead of three'],
    ['rechargeOnePatchNoUpsertWorkflow', '  one patch, no status upsert'],
    ['rechargeOnePatchAllLocalWorkflow', '  one patch, provider call as a local activity'],
  ];
  try {
    await run('emptyWorkflow', 20, 1); // warm-up: bundle loaded, caches and connections
    await run('rechargeShapeWorkflow', 20, 1);
    for (const [type] of whatIfs) await run(type, 3, 1);
    const empty = await run('emptyWorkflow', CEILING_WORKFLOWS, CONCURRENCY);
    console.log(
      `\nC. ceiling of this Temporal server, ${CEILING_WORKFLOWS} bare workflows each, ${CONCURRENCY} concurrent clients (${load()})`,
    );
    line('empty workflow', empty);
    const shape = await run('rechargeShapeWorkflow', CEILING_WORKFLOWS, CONCURRENCY);
    line('recharge-shaped (local activity, activity, local)', shape);
    if (process.env.BENCH_WHAT_IFS !== '0') {
      console.log('   what-ifs for the recharge workflow (same server, same clients):');
      for (const [type, label] of whatIfs) line(label, await run(type, CEILING_WORKFLOWS, CONCURRENCY));
    }
    return { empty: empty.perSecond, shape: shape.perSecond, cpu: [empty.cpu, shape.cpu] };
  } finally {
    await killProcess(worker);
  }
}

/** Workflows Temporal started in [from, to] (bench ones left out), by type: how many, history events. */
async function workflowsBetween(
  client: Client,
  from: Date,
  to: Date,
): Promise<Map<string, { runs: number; events: number }>> {
  const byType = new Map<string, { runs: number; events: number }>();
  const query = `StartTime >= '${from.toISOString()}' AND StartTime <= '${to.toISOString()}'`;
  for await (const wf of client.workflow.list({ query, pageSize: 1000 })) {
    if (wf.taskQueue === CEILING_TASK_QUEUE) continue;
    const t = byType.get(wf.type) ?? { runs: 0, events: 0 };
    t.runs++;
    t.events +=
      wf.historyLength || (await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()).events!.length;
    byType.set(wf.type, t);
  }
  return byType;
}

async function measure(target: Target): Promise<Figures> {
  const { db } = target;
  console.log(`\n=== ${target.label} (${load()})`);
  const loadAtStart = os.loadavg()[0]!;
  const client = new Client({ connection: await Connection.connect({ address: target.temporalAddress }) });
  const admin = new ApiClient(target.apiUrls[0]!, await adminKey(db));
  // ₹10,000 each: at the step-up threshold, so funding needs no mPIN.
  const funded = await fundRetailers(admin, RETAILERS, 1_000_000);
  const retailers = funded.map((r, i) => new ApiClient(target.apiUrls[i % target.apiUrls.length]!, r.api.key));
  const receiver = createWebhookReceiver({ maxDeliveries: 1_000_000 });
  const hooks = await listen(receiver.app, '127.0.0.1', 0);
  const secrets = new Map<string, string>();
  for (const r of funded) {
    const e = await r.api.post('/v1/webhook-endpoints', { url: `${hooks.url}/hooks/${r.userId}` }, false);
    if (e.status !== 201) throw new Error(`webhook endpoint refused: ${JSON.stringify(e.body)}`);
    secrets.set(`/hooks/${r.userId}`, e.body.secret as string);
  }
  const fire: Fire = async (via = retailers, key = randomUUID()) => {
    const r = via[randomInt(via.length)]!;
    const started = performance.now();
    const res = await r.call<{ id: string; status: string }>(
      'POST',
      '/v1/recharges?waitMs=30000',
      { operator: 'JIO', subscriber: `98${String(randomInt(1e8)).padStart(8, '0')}`, amount: 1000 },
      { 'Idempotency-Key': key },
    );
    return {
      ms: performance.now() - started,
      ok: res.status === 200 && res.body.status === 'success',
      status: res.status,
      id: res.body.id,
      via: r,
      key,
    };
  };

  const ceil = await ceiling(target, client);
  const ofCeiling = (perSecond: number) =>
    `${((100 * perSecond) / ceil.empty).toFixed(0)} % of the empty workflow's rate, ${((100 * perSecond) / ceil.shape).toFixed(0)} % of the recharge-shaped one's`;

  // 0. One client at a time: the latency floor (also warms JIT, pools and workflow caches).
  const solo: number[] = [];
  for (let i = 0; i < 30; i++) solo.push((await fire()).ms);
  solo.sort((a, b) => a - b);
  console.log(
    `\n0. one client, sequential: request→final p50 ${pct(solo, 50).toFixed(0)} ms, p90 ${pct(solo, 90).toFixed(0)} ms`,
  );

  // 1. Throughput, closed loop.
  const lat: number[] = [];
  const succeeded: string[] = [];
  let failures = 0;
  let next = 0;
  const cpu0 = await sampleCpu(target.cpuParts, target.postgres);
  const pg0 = await samplePg(target.postgres.url);
  const phaseFrom = new Date();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < RECHARGES) {
        const r = await fire();
        lat.push(r.ms);
        if (r.ok) succeeded.push(r.id!);
        else failures++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const phaseTo = new Date();
  const cpu = new Map(
    [...cpuBetween(cpu0, await sampleCpu(target.cpuParts, target.postgres))].map(([k, ms]) => [k, ms / RECHARGES]),
  );
  const pg1 = await samplePg(target.postgres.url);
  lat.sort((a, b) => a - b);
  console.log(`\n1. throughput: ${RECHARGES} recharges, ${CONCURRENCY} concurrent clients (${load()})`);
  console.log(
    `   ${(RECHARGES / seconds).toFixed(1)} recharges/s completed; request→final p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; ${failures} not successful`,
  );
  console.log(`   = ${ofCeiling(RECHARGES / seconds)}`);
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

  await deliveriesOf(db, receiver, secrets, succeeded);

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
  console.log(`\n2. fixed rate: ${RATE} recharges/s offered for ${RATE_SECONDS} s (${total} recharges; ${load()})`);
  console.log(
    `   request→final p50 ${pct(rateLat, 50).toFixed(0)} ms, p99 ${pct(rateLat, 99).toFixed(0)} ms, max ${rateLat[rateLat.length - 1]!.toFixed(0)} ms; ${rateFailures} not successful`,
  );

  // 3. What one recharge costs Temporal.
  const sample = await fire();
  const wf = (await db('recharges').where({ id: sample.id }).first('workflow_id')) as { workflow_id: string };
  const history = await client.workflow.getHandle(wf.workflow_id).fetchHistory();
  const byType = new Map<string, number>();
  for (const e of history.events ?? []) {
    const t = temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? 'UNKNOWN';
    byType.set(t, (byType.get(t) ?? 0) + 1);
  }
  console.log(`\n3. history of one successful recharge: ${history.events?.length ?? 0} events`);
  for (const [t, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`   ${String(n).padStart(3)}  ${t}`);
  const ran = await workflowsBetween(client, phaseFrom, phaseTo);
  const runs = [...ran.values()].reduce((a, t) => a + t.runs, 0);
  const events = [...ran.values()].reduce((a, t) => a + t.events, 0);
  console.log(
    `   throughput phase, read from Temporal: ${(runs / RECHARGES).toFixed(2)} workflows and ${(events / RECHARGES).toFixed(1)} history events per recharge`,
  );
  for (const [t, x] of ran)
    console.log(`   ${String(x.runs).padStart(6)} × ${t}, ${(x.events / x.runs).toFixed(1)} events each`);

  const overload = await overloadPhase(target, funded, RECHARGES / seconds, fire, client);
  await client.connection.close();
  await hooks.close();
  return {
    load: loadAtStart,
    ceilingEmpty: ceil.empty,
    ceilingShape: ceil.shape,
    ceilingCpu: ceil.cpu,
    workflowsPerRecharge: runs / RECHARGES,
    eventsPerRecharge: events / RECHARGES,
    overload,
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

interface Retailer {
  api: ApiClient;
  userId: string;
}

/**
 * Waits (up to 3 minutes) until every recharge of `ids` was announced to its retailer: the
 * recharge.succeeded and wallet.debited webhooks at the receiver with valid signatures, and the
 * debit and success SMS alerts sent; prints the counts and how long that took after the phase.
 */
async function deliveriesOf(db: Db, receiver: WebhookReceiver, secrets: Map<string, string>, ids: string[]) {
  const t0 = performance.now();
  const want = new Set(ids);
  const count = async () => {
    const hooks = { succeeded: new Set<string>(), debited: new Set<string>(), badSignatures: 0, received: 0 };
    for (const d of receiver.received()) {
      hooks.received++;
      if (!verifySignature(secrets.get(d.path) ?? '', d.body, d.signature)) hooks.badSignatures++;
      const data = (JSON.parse(d.body) as { data: { id?: string; reference?: string } }).data;
      if (d.type === 'recharge.succeeded' && want.has(data.id!)) hooks.succeeded.add(data.id!);
      const of = data.reference?.slice(rechargeReference('').length);
      if (d.type === 'wallet.debited' && of && want.has(of)) hooks.debited.add(of);
    }
    const [sms] = (
      await db.raw(
        `select count(*) filter (where e.type = 'recharge.succeeded')::int as succeeded,
                count(*) filter (where e.type = 'wallet.debited')::int as debited,
                count(*) filter (where a.status <> 'sent')::int as unsent
           from events e join alert_deliveries a on a.key = e.id and a.channel = 'sms'
          where (e.type = 'recharge.succeeded' and e.data->>'id' = any(?))
             or (e.type = 'wallet.debited' and e.data->>'kind' = 'recharge_capture' and e.data->>'reference' = any(?))`,
        [ids, ids.map(rechargeReference)],
      )
    ).rows as [{ succeeded: number; debited: number; unsent: number }];
    return { hooks, sms };
  };
  let c = await count();
  const done = () =>
    c.hooks.succeeded.size === ids.length &&
    c.hooks.debited.size === ids.length &&
    c.sms.succeeded === ids.length &&
    c.sms.debited === ids.length &&
    c.sms.unsent === 0;
  while (!done() && performance.now() - t0 < 180_000) {
    await new Promise((r) => setTimeout(r, 500));
    c = await count();
  }
  console.log(
    `   deliveries for its ${ids.length} recharges, ${((performance.now() - t0) / 1000).toFixed(1)} s after the phase: ` +
      `webhooks recharge.succeeded ${c.hooks.succeeded.size}, wallet.debited ${c.hooks.debited.size} ` +
      `(${c.hooks.received} received in all, ${c.hooks.badSignatures} bad signatures); ` +
      `SMS success ${c.sms.succeeded}, debit ${c.sms.debited} (${c.sms.unsent} not sent) ${done() && c.hooks.badSignatures === 0 ? '- all delivered' : '- NOT ALL DELIVERED'}`,
  );
}

type Fire = (
  via?: ApiClient[],
  key?: string,
) => Promise<{ ms: number; ok: boolean; status: number; id?: string; via: ApiClient; key: string }>;

/**
 * 4. Twice the measured throughput offered, open loop, to API processes with a tight admission
 * bound; then a check that every refused request left nothing: no recharge row, no idempotency
 * record, no workflow, no hold.
 */
async function overloadPhase(
  target: Target,
  funded: Retailer[],
  capacity: number,
  fire: Fire,
  client: Client,
): Promise<Figures['overload']> {
  const offered = Math.max(1, Math.round(2 * capacity));
  const bound = OVERLOAD_BOUND ?? Math.max(4, Math.ceil(capacity * 0.5));
  const apis = await target.boundedApis(bound);
  const via = funded.map((r, i) => new ApiClient(apis.urls[i % apis.urls.length]!, r.api.key));
  const userOf = new Map(via.map((v, i) => [v, funded[i]!.userId]));
  const results: Array<Awaited<ReturnType<Fire>>> = [];
  const pending: Array<Promise<void>> = [];
  const total = offered * OVERLOAD_SECONDS;
  const from = new Date();
  const r0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = r0 + (i * 1000) / offered - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire(via).then((r) => void results.push(r)));
  }
  await Promise.all(pending);
  const to = new Date();
  await apis.stop();
  const accepted = results
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const refused = results.filter((r) => r.status === 429);
  const other = results.length - accepted.length - refused.length;
  const ids = refused.map((r) => rechargeId(userOf.get(r.via)!, r.key));
  const rows = (await target.db('recharges').whereIn('id', ids.length ? ids : [''])).length;
  const keys = (await target.db('idempotency_keys').whereIn('key', refused.length ? refused.map((r) => r.key) : ['']))
    .length;
  const started = (await workflowsBetween(client, from, to)).get('rechargeWorkflow')?.runs ?? 0;
  let held = 0;
  for (const r of funded) held += (await r.api.get<{ held: number }>(`/v1/wallets/${r.userId}`)).body.held ?? 0;
  const clean = rows === 0 && keys === 0 && started === results.length - refused.length && held === 0;
  console.log(
    `\n4. overload: ${offered} recharges/s offered (twice ${capacity.toFixed(1)}/s) for ${OVERLOAD_SECONDS} s to API processes with RECHARGE_MAX_IN_FLIGHT=${bound} (${load()})`,
  );
  console.log(
    `   ${accepted.length} accepted and successful: request→final p50 ${pct(accepted, 50).toFixed(0)} ms, p99 ${pct(accepted, 99).toFixed(0)} ms; ${refused.length} refused (429); ${other} other`,
  );
  console.log(
    `   refused requests left ${rows} recharges, ${keys} idempotency records; ${started} recharge workflows for ${results.length - refused.length} admitted; ${held} paise held afterwards: ${clean ? 'clean' : 'NOT CLEAN'}`,
  );
  return {
    offered,
    bound,
    accepted: accepted.length,
    refused: refused.length,
    other,
    p50: pct(accepted, 50),
    p99: pct(accepted, 99),
    clean,
  };
}

function sideBySide(results: Array<[string, Figures]>): void {
  const row = (label: string, f: (x: Figures) => string) =>
    console.log(`  ${label.padEnd(34)}${results.map(([, x]) => f(x).padStart(22)).join('')}`);
  console.log(`\n=== side by side\n  ${''.padEnd(34)}${results.map(([l]) => l.padStart(22)).join('')}`);
  row('load average (1 min) at start', (x) => x.load.toFixed(1));
  row('ceiling: empty workflows /s', (x) => x.ceilingEmpty.toFixed(1));
  row('ceiling: recharge-shaped /s', (x) => x.ceilingShape.toFixed(1));
  row('  Temporal CPU per wf (ms)', (x) => `${x.ceilingCpu[0].toFixed(1)} / ${x.ceilingCpu[1].toFixed(1)}`);
  row('sequential p50 / p90 (ms)', (x) => `${x.soloP50.toFixed(0)} / ${x.soloP90.toFixed(0)}`);
  row(`throughput (${CONCURRENCY} clients), /s`, (x) => x.perSecond.toFixed(1));
  row(
    '  % of empty / recharge-shaped',
    (x) =>
      `${((100 * x.perSecond) / x.ceilingEmpty).toFixed(0)} / ${((100 * x.perSecond) / x.ceilingShape).toFixed(0)} %`,
  );
  row('  p50 / p99 (ms)', (x) => `${x.p50.toFixed(0)} / ${x.p99.toFixed(0)}`);
  row(`fixed ${RATE}/s p50 / p99 (ms)`, (x) => `${x.rateP50.toFixed(0)} / ${x.rateP99.toFixed(0)}`);
  row('history events per recharge', (x) => String(x.events));
  row(
    '  all workflows: runs / events',
    (x) => `${x.workflowsPerRecharge.toFixed(2)} / ${x.eventsPerRecharge.toFixed(1)}`,
  );
  row('overload offered /s, bound', (x) => `${x.overload.offered}, ${x.overload.bound}`);
  row('  accepted p50 / p99 (ms)', (x) => `${x.overload.p50.toFixed(0)} / ${x.overload.p99.toFixed(0)}`);
  row('  accepted / refused / other', (x) => `${x.overload.accepted} / ${x.overload.refused} / ${x.overload.other}`);
  row('  refused changed nothing', (x) => (x.overload.clean ? 'yes' : 'NO'));
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
async function fundRetailers(admin: ApiClient, n: number, eachPaise: number): Promise<Retailer[]> {
  const d = await admin.post('/v1/users', { role: 'distributor', name: 'Bench dist', mobile: uniqueMobile() }, false);
  const distId = d.body.id as string;
  const out: Retailer[] = [];
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
    out.push({ api: retailer, userId: r.body.id as string });
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
