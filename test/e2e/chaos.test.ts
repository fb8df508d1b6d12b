import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import pino from 'pino';
import { createDb, type Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { reversalWorkflowId } from '../../src/recharges/workflow-api';
import type { KillPlan, KillTarget, Marker, TraceEntry } from '../support/boundary-killer';
import { startChaosInfra, type ChaosInfra } from '../support/chaos-infra';
import {
  awaitFinal,
  buildNet,
  checkOutcomes,
  rechargeRequest,
  scenarios,
  sendStream,
  streamRequests,
  type Done,
  type Net,
  type RechargeRequest,
  type Request,
  type ScenarioName,
} from '../support/chaos-traffic';
import { startStack, type TestStack } from '../support/stack';
import { WorkerPool } from '../support/worker-pool';

// Chaos with real processes (issue 10). This file has a PostgreSQL and a Temporal dev server of
// its own, so it can stop them; the API and simulators run in this process, the workers in
// separate processes (two poll, two more wait as warm standbys; test/support/worker-pool.ts).
// Each test sends a bounded stream of recharges, top-ups and transfers, retried by the client with
// the same Idempotency-Key, breaks something in the middle of it, and then demands exactly one
// correct outcome per request, balances equal to the model to the paisa, nothing left held, and a
// ledger that verifies. The worker is killed by test/support/boundary-killer.ts, at boundaries
// learnt from the calm run's trace. Timings are printed; a failed test keeps its logs.

const began = Date.now();
const timings: Array<[string, number]> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// knex prints a warning for every connection the in-process API loses or cannot open while
// PostgreSQL is down on purpose: expected here, so counted rather than printed.
let poolWarnings = 0;
const print = console.log.bind(console);
const log = (m: string) => print(`[chaos +${((Date.now() - began) / 1000).toFixed(1)}s] ${m}`);
console.log = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^(\S+)?(Acquire connection error|Connection Error)/.test(args[0])) poolWarnings++;
  else print(...args);
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-chaos-plan-'));
const planFile = path.join(work, 'plan.json');
const markerDir = path.join(work, 'markers');
const traceFile = path.join(work, 'trace.jsonl');
const apiLogFile = path.join(work, 'api.log');
const workerLogFile = path.join(work, 'workers.log');
fs.mkdirSync(markerDir);

let infra: ChaosInfra | undefined;
let stack: TestStack | undefined;
let db: Db | undefined;
let admin: ApiClient;
let pool: WorkerPool | undefined;

function writePlan(targets: KillTarget[]): void {
  const plan: KillPlan = { markerDir, traceFile, targets };
  fs.writeFileSync(`${planFile}.tmp`, JSON.stringify(plan));
  fs.renameSync(`${planFile}.tmp`, planFile);
}

before(async () => {
  const t0 = Date.now();
  writePlan([]);
  infra = await startChaosInfra(log);
  stack = await startStack({
    noWorker: true,
    env: {
      ...infra.env,
      CHAOS_PLAN_FILE: planFile,
      RECHARGE_POLL_SCHEDULE_SECONDS: '1',
      RECHARGE_PROVIDER_TIMEOUT_MS: '1500',
    },
    simulators: { operator: { pendingResolveMs: 1500, reversalMs: 1500, timeoutResponseMs: 4000 } },
    log: pino({ level: 'warn' }, pino.destination({ dest: apiLogFile, sync: true })),
  });
  db = createDb(infra.env.DATABASE_URL);
  admin = new ApiClient(stack.api.url, await adminKey(db));
  pool = new WorkerPool(stack.env, 2, { logFile: workerLogFile, log });
  await pool.start();
  timings.push(['setup', Date.now() - t0]);
  log(`own PostgreSQL, Temporal, stack and 2 worker processes (and 2 standbys) up in ${Date.now() - t0} ms`);
});

// A failed test keeps the logs, trace and kill markers for a look afterwards.
let keepLogs = false;
const keepingLogsOnFailure = (fn: () => Promise<void>) => async (): Promise<void> => {
  try {
    await fn();
  } catch (err) {
    keepLogs = true;
    throw err;
  }
};

after(async () => {
  await pool?.stop();
  await stack?.stop();
  await db?.destroy();
  await infra?.stop();
  if (keepLogs) log(`logs, trace and kill markers kept in ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
  timings.push(['total', Date.now() - began]);
  log(`timings (ms): ${timings.map(([k, v]) => `${k} ${v}`).join(', ')}; knex pool warnings: ${poolWarnings}`);
  if (pool) log(`worker starts (ms): ${pool.startMs.join(', ')}`);
});

/** Errors logged since `since` by the in-process API and the worker processes, counted by kind. */
function errorDigest(since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [who, file] of [
    ['api', apiLogFile],
    ['worker', workerLogFile],
  ] as const) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      let e: { level?: number; time?: number; msg?: string; path?: string; err?: { message?: string } };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      if ((e.level ?? 0) < 50 || (e.time ?? 0) < since) continue;
      const k = `${who} ${e.path ?? ''} ${e.msg ?? ''}: ${(e.err?.message ?? '').slice(0, 120)}`;
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return counts;
}

/** Where a recharge that never finished is stuck: its workflows' pending activities and last events. */
async function diagnose(r: RechargeRequest): Promise<string> {
  const connection = await Connection.connect({ address: infra!.env.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection });
    const out: string[] = [];
    for (const id of workflowsOf(r)) {
      try {
        const handle = client.workflow.getHandle(id);
        const d = await handle.describe();
        const pending = (d.raw.pendingActivities ?? []).map(
          (a) => `${a.activityType?.name} attempt ${a.attempt} ${String(a.state)} ${a.lastFailure?.message ?? ''}`,
        );
        const events = (await handle.fetchHistory()).events ?? [];
        const history = events.slice(-60).map((e) => {
          const type = (proto.api.enums.v1.EventType[e.eventType ?? 0] ?? '?').replace('EVENT_TYPE_', '');
          const name =
            e.activityTaskScheduledEventAttributes?.activityType?.name ??
            e.workflowExecutionSignaledEventAttributes?.signalName;
          return name ? `${type}(${name})` : type;
        });
        out.push(`${id}: ${d.status.name}, pending [${pending.join('; ')}], history ${history.join(' ')}`);
      } catch (err) {
        out.push(`${id}: ${(err as Error).message}`);
      }
    }
    return out.join(' | ');
  } finally {
    await connection.close();
  }
}

/**
 * Everything after the stream, once its recharges have settled (or `settleMs` has passed):
 * outcomes, balances, holds, and the ledger's own verification.
 */
async function verify(net: Net, done: Done[], since: number, settleMs = 60_000): Promise<void> {
  await awaitFinal(db!, rechargesOf(done), settleMs);
  const { problems, summary } = await checkOutcomes(db!, net, done, stack!.sims.urls.operator);
  const statuses = (await db!('recharges')
    .whereIn(
      'id',
      rechargesOf(done).map((r) => r.rechargeId),
    )
    .select('id', 'status')) as Array<{ id: string; status: string }>;
  for (const r of rechargesOf(done)) {
    const status = statuses.find((x) => x.id === r.rechargeId)?.status;
    if (!(scenarios[r.scenario].finals as readonly string[]).includes(status ?? ''))
      log(`${r.scenario} ended ${status}: ${await diagnose(r)}`);
  }
  const report = await new Ledger(db!).verify();
  log(`outcomes: ${JSON.stringify(summary)}; ledger verified: ${report.ok}`);
  log(`errors logged: ${JSON.stringify(errorDigest(since), null, 1)}`);
  assert.deepEqual(problems, []);
  assert.equal(report.ok, true, JSON.stringify(report.violations));
}

function rechargesOf(done: Done[]): RechargeRequest[] {
  return done.flatMap((d) => (d.request.kind === 'recharge' ? [d.request] : []));
}

function readTrace(): TraceEntry[] {
  if (!fs.existsSync(traceFile)) return [];
  return fs
    .readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceEntry);
}

/** The workflows that run a recharge's steps: its own, and its reversal (the refund). */
function workflowsOf(r: RechargeRequest): string[] {
  return [r.workflowId, reversalWorkflowId(r.rechargeId)];
}

/** The activities and local activities a recharge ran, in the order they first ran. */
function activitiesOf(trace: TraceEntry[], r: RechargeRequest): Array<{ name: string; isLocal: boolean }> {
  const mine = trace.filter((e) => workflowsOf(r).includes(e.workflowId)).sort((a, b) => a.at - b.at);
  const names = [...new Set(mine.map((e) => e.activityType))];
  return names.map((name) => ({ name, isLocal: mine.find((e) => e.activityType === name)!.isLocal }));
}

let calibration: RechargeRequest[] = [];

test(
  'calm: every scripted subscriber ends as scripted, balances to the paisa (and which activities each runs)',
  {
    timeout: 90_000,
  },
  keepingLogsOnFailure(async () => {
    const t0 = Date.now();
    const net = await buildNet(admin, 3, 200_000);
    const requests: Request[] = streamRequests(net, { recharges: 14, topups: 2, transfers: 3 });
    requests.push(rechargeRequest(net, net.retailers[0]!, 'successThenReversal'));
    const done = await sendStream(net, requests, 2000);
    calibration = rechargesOf(done);
    await verify(net, done, t0);
    timings.push(['calm', Date.now() - t0]);
  }),
);

/**
 * A stream of requests during which `what` is stopped for 3 s, 1.5 s in: every request must still
 * end as the model says, and no worker process may die.
 */
async function streamThroughOutage(
  what: string,
  label: string,
  stop: () => Promise<void>,
  start: () => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  const net = await buildNet(admin, 3, 200_000);
  const requests = streamRequests(net, { recharges: 24, topups: 4, transfers: 6 });
  const exitsBefore = pool!.exits.length;
  const stream = sendStream(net, requests, 5000);
  await sleep(1500);
  log(`stopping ${what}`);
  await stop();
  await sleep(3000);
  await start();
  log(`${what} is back`);
  const done = await stream;
  log(`stream answered in ${Date.now() - t0} ms`);
  await verify(net, done, t0);
  assert.deepEqual(pool!.exits.slice(exitsBefore), [], 'worker processes died');
  timings.push([label, Date.now() - t0]);
}

test(
  'PostgreSQL stopped and restarted in the middle of a stream',
  { timeout: 150_000 },
  keepingLogsOnFailure(() =>
    streamThroughOutage(
      'PostgreSQL',
      'postgres restart',
      () => infra!.stopPostgres(),
      () => infra!.startPostgres(),
    ),
  ),
);

test(
  'the Temporal server stopped and restarted in the middle of a stream',
  { timeout: 150_000 },
  keepingLogsOnFailure(() =>
    streamThroughOutage(
      'the Temporal server',
      'temporal restart',
      () => infra!.stopTemporal(),
      () => infra!.startTemporal(),
    ),
  ),
);

// Each boundary is aimed at the first of these scenarios whose recharge runs the activity.
const boundaryScenarios: ScenarioName[] = [
  'success',
  'invalidNumber',
  'firstSubmissionTimesOut',
  'pendingThenSuccess',
  'pendingThenFailed',
  'primaryProviderDown',
  'successThenReversal',
];
// Where the provider's answer changes after it took the recharge (pending then failed, success
// then reversed), a crash right after a provider call is aimed at them too: the retried call
// then meets a different answer than the first one got.
const changingAnswers: ScenarioName[] = ['pendingThenFailed', 'successThenReversal'];

interface Boundary {
  id: string;
  activity: string;
  phase: 'before' | 'after';
  scenario: ScenarioName;
}

/** Every boundary of every activity the calm run's recharges ran. */
function boundariesFrom(trace: TraceEntry[]): Boundary[] {
  const boundaries: Boundary[] = [];
  for (const scenario of boundaryScenarios) {
    const r = calibration.find((c) => c.scenario === scenario);
    assert.ok(r, `the calm run had no ${scenario} recharge`);
    for (const { name, isLocal } of activitiesOf(trace, r)) {
      if (!boundaries.some((b) => b.activity === name)) {
        for (const phase of ['before', 'after'] as const) {
          boundaries.push({ id: `${phase}-${name}`, activity: name, phase, scenario });
        }
      } else if (!isLocal && changingAnswers.includes(scenario)) {
        boundaries.push({ id: `after-${name}-${scenario}`, activity: name, phase: 'after', scenario });
      }
    }
  }
  return boundaries;
}

test(
  'the worker killed at every activity boundary of a recharge, in the middle of a stream',
  { timeout: 300_000 },
  keepingLogsOnFailure(async () => {
    const t0 = Date.now();
    // Which activities a recharge runs is learnt from the calm run rather than listed here: the
    // names change as the workflow does.
    const boundaries = boundariesFrom(readTrace());
    assert.ok(
      boundaries.length >= 8,
      `too few activities seen in the calm run: ${boundaries.map((b) => b.id).join(', ')}`,
    );
    log(`boundaries: ${boundaries.map((b) => `${b.id} (${b.scenario})`).join(', ')}`);

    const net = await buildNet(admin, 3, 200_000);
    const aimedAt = new Map<string, RechargeRequest[]>();
    let turn = 0;
    const aim = (b: Boundary): RechargeRequest => {
      const r = rechargeRequest(net, net.retailers[turn++ % net.retailers.length]!, b.scenario);
      aimedAt.set(b.id, [...(aimedAt.get(b.id) ?? []), r]);
      writePlan(
        boundaries.map((x) => ({
          id: x.id,
          activity: x.activity,
          phase: x.phase,
          workflowIds: (aimedAt.get(x.id) ?? []).flatMap(workflowsOf),
        })),
      );
      return r;
    };
    const fired = () =>
      fs.readdirSync(markerDir).map((f) => JSON.parse(fs.readFileSync(path.join(markerDir, f), 'utf8')) as Marker);
    const killsBefore = pool!.exits.length;

    // Round 1: a recharge aimed at each boundary, in among a stream of everything else.
    const stream: Request[] = streamRequests(net, { recharges: 24, topups: 4, transfers: 6 });
    boundaries.forEach((b, k) => stream.splice(Math.floor(((k + 0.5) * stream.length) / boundaries.length), 0, aim(b)));
    const done = await sendStream(net, stream, 5000);
    log(`round 1 answered in ${Date.now() - t0} ms`);
    await awaitFinal(db!, rechargesOf(done), 60_000);
    log(`round 1 settled in ${Date.now() - t0} ms`);
    // A kill elsewhere can change a recharge's path (a retried submission that finds the
    // provider's final answer never waits for a status check): aim again at what was missed,
    // all together once, then one boundary at a time, so that no other kill is around.
    const missed = () => boundaries.filter((b) => !fired().some((m) => m.id === b.id));
    for (const batch of [missed(), ...missed().map((b) => [b])]) {
      const todo = batch.filter((b) => missed().includes(b));
      if (todo.length === 0) continue;
      const again = todo.map(aim);
      done.push(...(await sendStream(net, again, 500)));
      // Alone, or nearly, a recharge survives a kill in well under this.
      await awaitFinal(db!, again, 40_000);
      log(`aimed again at ${todo.map((b) => b.id).join(', ')}: ${missed().length} boundaries left`);
    }
    await verify(net, done, t0, 0);

    // Every boundary was hit, exactly where planned, and nothing else killed a worker.
    const markers = fired();
    assert.deepEqual(
      boundaries.filter((b) => !markers.some((m) => m.id === b.id)).map((b) => b.id),
      [],
      'boundaries never reached',
    );
    for (const m of markers) {
      const b = boundaries.find((x) => x.id === m.id)!;
      assert.equal(m.activityType, b.activity);
      assert.ok(aimedAt.get(b.id)!.flatMap(workflowsOf).includes(m.workflowId), `${m.id} fired in ${m.workflowId}`);
    }
    await pool!.settled();
    const exits = pool!.exits.slice(killsBefore);
    assert.deepEqual(
      exits.filter((e) => e.signal !== 'SIGKILL'),
      [],
      'worker exits nobody planned',
    );
    assert.equal(exits.length, markers.length, 'one worker death per boundary');
    log(
      `killed ${exits.length} times: ${markers
        .sort((a, b) => a.at - b.at)
        .map((m) => m.id)
        .join(', ')}`,
    );
    // The boundaries come from the calm run: a path it did not finish is a path not covered here.
    const calm = (await db!('recharges')
      .whereIn(
        'id',
        calibration.map((r) => r.rechargeId),
      )
      .select('id', 'status')) as Array<{ id: string; status: string }>;
    assert.deepEqual(
      calibration
        .filter((r) => calm.find((c) => c.id === r.rechargeId)?.status !== scenarios[r.scenario].finals[0])
        .map((r) => r.scenario),
      [],
      'the calm run did not finish these paths, so their activities may have no boundary here',
    );
    timings.push(['worker kills', Date.now() - t0]);
  }),
);
