import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { createDb, type Db } from '../../src/db/knex';
import { startCluster, type Cluster } from '../../dev/infra/cluster';
import { freePort } from '../../dev/infra/free-port';
import { freeTemporalPorts, TEMPORAL_SERVER_VERSION } from '../../dev/infra/temporal-server';
import { Ledger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { startSimulators, type RunningSimulators } from '../../dev/simulators/start';
import { ApiClient, adminKey } from '../support/api';
import {
  awaitFinal,
  buildNet,
  checkOutcomes,
  sendStream,
  streamRequests,
  type Done,
  type Net,
  type RechargeRequest,
} from '../support/chaos-traffic';
import { historiesDir } from '../support/histories';

// The production topology, run for real (issue 16): PostgreSQL, the real Temporal server on it
// with 4 history shards, two worker processes and two API processes, all separate processes
// started by dev/infra/cluster.ts as `npm run start:cluster` starts them. Traffic (the chaos
// tests' streams, test/support/chaos-traffic.ts) goes to both API processes in turn, each retry
// of a request to the other one. Each test breaks one part in the middle of a stream and then
// demands exactly one correct outcome per request, the model's balances to the paisa, no open
// hold, a clean ledger verify, and that the recharges in flight at the break finished on their own.

// The replay workers' state changes are not worth a line each.
Runtime.install({ logger: new DefaultLogger('WARN') });

const SHARDS = 4;
const began = Date.now();
const timings: Array<[string, number]> = [];
const log = (m: string) => console.log(`[topology +${((Date.now() - began) / 1000).toFixed(1)}s] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-topology-'));
fs.chmodSync(work, 0o755);
let cluster: Cluster | undefined;
let sims: RunningSimulators | undefined;
let db: Db | undefined;
let temporalClient: Client | undefined;
let admin: ApiClient;

/** A client whose every request (and so every retry) goes to the next API process in turn. */
function acrossApis(key: string | undefined): ApiClient {
  const urls = cluster!.apiUrls;
  const client = new ApiClient(urls[0]!, key);
  let i = 0;
  Object.defineProperty(client, 'baseUrl', { get: () => urls[i++ % urls.length]! });
  return client;
}

/** The network of the chaos tests, with every member's requests spread over both API processes. */
async function spreadNet(retailers: number): Promise<Net> {
  const net = await buildNet(admin, retailers, 200_000);
  net.admin = acrossApis(admin.key);
  net.dist.api = acrossApis(net.dist.key);
  for (const r of net.retailers) r.api = acrossApis(r.key);
  return net;
}

async function requestsPerApi(): Promise<number[]> {
  return Promise.all(
    cluster!.apiUrls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('tijori_http_requests_total{') && l.includes('method="POST"'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    }),
  );
}

before(async () => {
  const t0 = Date.now();
  const [apiA, apiB, pgPort, uiPort, temporalPorts] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freeTemporalPorts(),
  ]);
  const base: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    SIM_OPERATOR_PORT: '0',
    SIM_KYC_PORT: '0',
    SIM_GATEWAY_PORT: '0',
    SIM_SMS_PORT: '0',
    SIM_SMTP_PORT: '0',
    SIM_MAIL_HTTP_PORT: '0',
    RECHARGE_BREAKER_THRESHOLD: '1000',
    RECHARGE_POLL_SCHEDULE_SECONDS: '1',
    RECHARGE_PROVIDER_TIMEOUT_MS: '1500',
  };
  delete base.DATABASE_URL;
  delete base.TEMPORAL_ADDRESS;
  const config = loadConfig(base);
  // Callbacks and webhooks go to the first API process.
  sims = await startSimulators(config, createLogger('silent'), {
    apiBaseUrl: `http://127.0.0.1:${apiA}`,
    kycWebhookSecret: config.kyc.webhookSecret,
    operator: { pendingResolveMs: 1500, reversalMs: 1500, timeoutResponseMs: 4000 },
  });
  cluster = await startCluster({
    dataDir: work,
    postgresPort: pgPort,
    temporalPorts,
    uiPort,
    shards: SHARDS,
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
    restartDelayMs: 500,
    onEvent: log,
  });
  db = createDb(cluster.databaseUrl);
  admin = new ApiClient(cluster.apiUrls[0]!, await adminKey(db));
  temporalClient = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress }) });
  timings.push(['setup', Date.now() - t0]);
  log(
    `PostgreSQL, Temporal ${TEMPORAL_SERVER_VERSION} (${SHARDS} shards), UI, 2 workers, 2 APIs up in ${Date.now() - t0} ms`,
  );
});

after(async () => {
  await temporalClient?.connection.close();
  await db?.destroy();
  await cluster?.stop();
  await sims?.stop();
  if (process.env.KEEP_TOPOLOGY_LOGS !== '1') fs.rmSync(work, { recursive: true, force: true });
  else log(`logs kept in ${path.join(work, 'logs')}`);
  timings.push(['total', Date.now() - began]);
  log(`timings (ms): ${timings.map(([k, v]) => `${k} ${v}`).join(', ')}`);
});

/** After a stream: every outcome, balances, holds, the ledger's own verification. */
async function verify(net: Net, done: Done[]): Promise<void> {
  await awaitFinal(db!, rechargesOf(done), 90_000);
  const { problems, summary } = await checkOutcomes(db!, net, done, sims!.urls.operator);
  const report = await new Ledger(db!).verify();
  log(`outcomes: ${JSON.stringify(summary)}; ledger verified: ${report.ok}`);
  assert.deepEqual(problems, []);
  assert.equal(report.ok, true, JSON.stringify(report.violations));
}

function rechargesOf(done: Done[]): RechargeRequest[] {
  return done.flatMap((d) => (d.request.kind === 'recharge' ? [d.request] : []));
}

/** The recharges that exist and are not final yet: in flight at this moment. */
async function inFlight(net: Net): Promise<string[]> {
  const rows = (await db!('recharges')
    .whereIn(
      'user_id',
      net.retailers.map((r) => r.id),
    )
    .whereNotIn('status', ['success', 'failed', 'reversed'])
    .select('id')) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/**
 * A stream of recharges, top-ups and transfers over 6 s; `breakIt` runs 1.5 s in. The recharges
 * in flight just before the break must reach their scripted outcome by themselves (nobody
 * resolves or retries anything here).
 */
async function streamThrough(name: string, breakIt: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  const net = await spreadNet(4);
  const before = await requestsPerApi();
  const requests = streamRequests(net, { recharges: 28, topups: 4, transfers: 6 });
  const stream = sendStream(net, requests, 6000);
  await sleep(1500);
  const flying = await inFlight(net);
  log(`${name}: ${flying.length} recharges in flight`);
  await breakIt();
  const done = await stream;
  log(`${name}: stream answered in ${Date.now() - t0} ms`);
  await verify(net, done);
  assert.ok(flying.length > 0, 'no recharge was in flight at the break: the test proved nothing');
  const finals = (await db!('recharges').whereIn('id', flying).select('id', 'status')) as Array<{ status: string }>;
  assert.ok(
    finals.every((r) => ['success', 'failed', 'reversed'].includes(r.status)),
    JSON.stringify(finals),
  );
  const served = (await requestsPerApi()).map((n, i) => n - before[i]!);
  log(`${name}: POSTs served per API process: ${served.join(', ')}`);
  assert.ok(
    served.every((n) => n >= 10),
    `both API processes must carry the stream: ${served.join(', ')}`,
  );
  timings.push([name, Date.now() - t0]);
}

test('the shape: the real server with 4 history shards on PostgreSQL, its UI, two workers and two API processes', async () => {
  // The shards exist in Temporal's own database (the dev server has one, in SQLite).
  const c = new pg.Client({
    host: cluster!.temporalDatabases.host,
    port: cluster!.temporalDatabases.port,
    user: cluster!.temporalDatabases.user,
    password: cluster!.temporalDatabases.password,
    database: cluster!.temporalDatabases.database,
  });
  await c.connect();
  try {
    const shards = await c.query('select count(*)::int as n from shards');
    assert.equal((shards.rows[0] as { n: number }).n, SHARDS);
    const schema = await c.query('select curr_version from schema_version');
    assert.ok((schema.rows[0] as { curr_version: string }).curr_version >= '1.', JSON.stringify(schema.rows));
  } finally {
    await c.end();
  }
  const system = await temporalClient!.workflowService.getSystemInfo({});
  assert.equal(system.serverVersion, TEMPORAL_SERVER_VERSION.slice(1));

  // Two worker processes poll the task queue: two distinct pollers.
  const pids = cluster!.workers.map((w) => w.pid);
  assert.equal(new Set(pids).size, 2);
  const deadline = Date.now() + 20_000;
  let identities: string[] = [];
  while (Date.now() < deadline) {
    const q = await temporalClient!.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'tijori' },
      taskQueueType: 1, // workflow
    });
    identities = [...new Set((q.pollers ?? []).map((p) => p.identity ?? ''))];
    if (identities.length >= 2) break;
    await sleep(250);
  }
  assert.equal(identities.length, 2, `pollers: ${identities.join(', ')}`);
  for (const pid of pids)
    assert.ok(
      identities.some((id) => id.startsWith(`${pid}@`)),
      `${pid} in ${identities.join(', ')}`,
    );

  // Both API processes are ready (database and Temporal), and the UI lists the namespace.
  for (const url of cluster!.apiUrls) {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
  }
  const ns = await fetch(`${cluster!.uiUrl!}/api/v1/namespaces`);
  assert.equal(ns.status, 200);
  assert.match(await ns.text(), /"default"/);
});

test('calm: a stream over both API processes, every outcome as scripted', { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const net = await spreadNet(3);
  const done = await sendStream(net, streamRequests(net, { recharges: 14, topups: 2, transfers: 3 }), 3000);
  await verify(net, done);
  timings.push(['calm', Date.now() - t0]);
});

test('a worker process killed in the middle of a stream, and started again later', { timeout: 180_000 }, async () => {
  const victim = cluster!.workers[0]!;
  await streamThrough('worker kill', async () => {
    log(`killing ${victim.name} (pid ${victim.pid})`);
    await victim.kill();
    await sleep(5000);
    await victim.start();
    log(`${victim.name} started again (pid ${victim.pid})`);
  });
  const unplanned = cluster!.workers.flatMap((w) => w.exits.filter((e) => !e.planned));
  assert.deepEqual(unplanned, [], 'worker exits nobody planned');
});

test('the Temporal server stopped and started again in the middle of a stream', { timeout: 180_000 }, async () => {
  await streamThrough('temporal restart', async () => {
    const t0 = Date.now();
    await cluster!.temporal.stop();
    log(`temporal server stopped in ${Date.now() - t0} ms`);
    await sleep(3000);
    const t1 = Date.now();
    await cluster!.temporal.start();
    log(`temporal server serving again in ${Date.now() - t1} ms`);
  });
});

test(
  'PostgreSQL (ledger and Temporal persistence) restarted in the middle of a stream',
  { timeout: 180_000 },
  async () => {
    await streamThrough('postgres restart', async () => {
      log('stopping PostgreSQL');
      await cluster!.postgres!.stop();
      await sleep(3000);
      await cluster!.postgres!.start();
      log('PostgreSQL is back');
    });
  },
);

test('after it all: every process is up, and no exit happened that a test did not cause', async () => {
  for (const p of [...cluster!.temporal.processes, ...cluster!.workers, ...cluster!.apis]) {
    await p.settled();
    assert.ok(p.running, `${p.name} is not running`);
  }
  const unplanned = [...cluster!.temporal.processes, ...cluster!.workers, ...cluster!.apis].flatMap((p) =>
    p.exits.filter((e) => !e.planned).map((e) => `${p.name}: ${e.code ?? e.signal} ${e.tail.slice(-5).join(' | ')}`),
  );
  // The supervisor restarted them, but a crash is still a finding.
  assert.deepEqual(unplanned, []);
});

test(
  'every workflow history this server recorded replays against the workflow code',
  { timeout: 120_000 },
  async () => {
    const histories: Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }> = [];
    const types = new Map<string, number>();
    const shapes = new Map<string, Set<string>>();
    const record = process.env.RECORD_HISTORIES === '1';
    for await (const item of temporalClient!.workflow.list({ query: 'ExecutionStatus != "Running"' }).intoHistories()) {
      const history = item.history as temporal.api.history.v1.IHistory;
      histories.push({ workflowId: item.workflowId, history });
      const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
      types.set(type, (types.get(type) ?? 0) + 1);
      // With RECORD_HISTORIES=1, up to 4 histories of each workflow type, each of a different
      // shape (its sequence of event types), go to test/histories, which the replay test of
      // every `npm test` replays.
      const shape = (history.events ?? []).map((e) => e.eventType).join(',');
      const seen = shapes.get(type) ?? new Set<string>();
      shapes.set(type, seen);
      if (record && !seen.has(shape) && seen.size < 4) {
        seen.add(shape);
        fs.writeFileSync(path.join(historiesDir, `cluster-${type}-${seen.size}.json`), historyToJSON(history));
      }
    }
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: cluster!.appEnv.TIJORI_WORKFLOW_BUNDLE! } },
      histories,
    );
    for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message.slice(0, 300)}`);
    log(`replayed ${histories.length} closed workflows: ${[...types].map(([t, k]) => `${t} ${k}`).join(', ')}`);
    assert.deepEqual(failures, []);
    assert.ok(histories.length >= 100, `only ${histories.length} closed workflows to replay`);
    assert.ok(types.has('rechargeWorkflow') && types.has('topupWorkflow'), [...types.keys()].join(', '));
  },
);
