/**
 * The production topology on one machine: PostgreSQL (embedded, or an external server), the real
 * Temporal server on it with N history shards, its Web UI, and several worker and API processes,
 * each a separate process as in production. Used by `npm run start:cluster`, the topology tests
 * and `npm run bench:recharge` with BENCH_TOPOLOGY=cluster.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as temporal_ } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { ManagedProcess } from './managed-process';
import {
  ensureTemporalServerTools,
  prepareTemporalDatabases,
  startTemporalServer,
  startTemporalUi,
  temporalDatabasesOn,
  type RunningTemporalServer,
  type TemporalDatabases,
  type TemporalPorts,
} from './temporal-server';

const root = path.resolve(__dirname, '..', '..');

export interface ClusterOptions {
  /** Embedded PostgreSQL's data, the workflow bundle, and logs/<process>.log. */
  dataDir: string;
  /** An external PostgreSQL for Tijori's database; Temporal's two are created on the same server. */
  databaseUrl?: string;
  /** The embedded PostgreSQL's port (when databaseUrl is unset). */
  postgresPort: number;
  temporalPorts: TemporalPorts;
  /** The Web UI's port; undefined starts no UI. */
  uiPort?: number;
  shards: number;
  /** Run each Temporal service (frontend, history, matching, worker) as its own process. */
  temporalProcessPerService?: boolean;
  namespace: string;
  /** One API process per port. */
  apiPorts: number[];
  workers: number;
  /**
   * The API and worker processes' environment (simulator URLs, tunables); the cluster adds
   * DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TIJORI_WORKFLOW_BUNDLE and API_PORT.
   */
  appEnv: Record<string, string | undefined>;
  /** Restart any process that exits unplanned after this delay (a supervisor's job). */
  restartDelayMs?: number;
  onEvent?: (m: string) => void;
}

export interface Cluster {
  databaseUrl: string;
  temporalAddress: string;
  temporalDatabases: TemporalDatabases;
  uiUrl?: string;
  apiUrls: string[];
  /** The embedded PostgreSQL, which can be stopped and started again (same data, same port). */
  postgres?: { start: () => Promise<void>; stop: () => Promise<void> };
  temporal: RunningTemporalServer;
  ui?: ManagedProcess;
  workers: ManagedProcess[];
  apis: ManagedProcess[];
  /** What API and worker processes run with, for starting more of them. */
  appEnv: Record<string, string | undefined>;
  /** A client connection to the frontend (worker readiness checks use it). */
  temporalConnection: Connection;
  logDir: string;
  /** Stops every process (and the embedded PostgreSQL), keeping the data. */
  stop: () => Promise<void>;
}

type Supervision = Pick<ClusterOptions, 'restartDelayMs' | 'onEvent'>;

/**
 * A worker process of the cluster (src/main-worker.ts), ready once Temporal lists it (the SDK's
 * identity is `<pid>@<host>`) among the pollers of its task queue, whatever the log level.
 */
export function workerProcess(
  env: Record<string, string | undefined>,
  name: string,
  logDir: string,
  temporal: Connection,
  opts: Supervision = {},
): ManagedProcess {
  return new ManagedProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'src', 'main-worker.ts')],
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    logFile: path.join(logDir, `${name}.log`),
    probe: async (pid) => {
      const q = await temporal.workflowService.describeTaskQueue({
        namespace: env.TEMPORAL_NAMESPACE ?? 'default',
        taskQueue: { name: env.TEMPORAL_TASK_QUEUE ?? 'tijori' },
        taskQueueType: temporal_.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      return (q.pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
    },
    readyTimeoutMs: 120_000,
    ...opts,
  });
}

/** An API process of the cluster (src/main-api.ts), ready once it answers /healthz. */
export function apiProcess(
  env: Record<string, string | undefined>,
  port: number,
  name: string,
  logDir: string,
  opts: Supervision = {},
): ManagedProcess {
  return new ManagedProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'src', 'main-api.ts')],
    cwd: root,
    env: { ...env, API_PORT: String(port) } as NodeJS.ProcessEnv,
    logFile: path.join(logDir, `${name}.log`),
    probe: async () => (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).ok,
    readyTimeoutMs: 120_000,
    ...opts,
  });
}

/** The history shard count the databases were created with (undefined before the first start). */
async function existingShards(db: TemporalDatabases): Promise<number | undefined> {
  const c = new pg.Client({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
  });
  try {
    await c.connect();
  } catch {
    return undefined; // not created yet
  }
  try {
    const r = await c.query(`select case when to_regclass('public.shards') is null then 0
                                     else (select count(*) from shards) end as n`);
    const n = Number((r.rows[0] as { n: string }).n);
    return n > 0 ? n : undefined;
  } finally {
    await c.end();
  }
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const event = opts.onEvent ?? (() => {});
  const logDir = path.join(opts.dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops) await s().catch((e: unknown) => event(`stopping: ${String(e)}`));
    stops.length = 0;
  };
  try {
    // PostgreSQL: Tijori's ledger and projections, and Temporal's persistence and visibility.
    let databaseUrl = opts.databaseUrl;
    let postgres: Cluster['postgres'];
    if (!databaseUrl) {
      let running: RunningPostgres | undefined;
      const start = async () => {
        if (running) return;
        running = await startEmbeddedPostgres({
          dataDir: path.join(opts.dataDir, 'pg'),
          port: opts.postgresPort,
          persistent: true,
          onLog: () => {},
        });
      };
      const stopPg = async () => {
        const r = running;
        running = undefined;
        await r?.stop();
      };
      await start();
      stops.unshift(stopPg);
      await running!.createDatabase('tijori');
      databaseUrl = running!.url('tijori');
      postgres = { start, stop: stopPg };
    }
    const db = createDb(databaseUrl);
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }

    // Temporal: its databases (schema tool), the server from the repository's configuration.
    const tools = ensureTemporalServerTools(event);
    const temporalDatabases = temporalDatabasesOn(databaseUrl);
    const had = await existingShards(temporalDatabases);
    if (had !== undefined && had !== opts.shards) {
      throw new Error(
        `Temporal's database was created with ${had} history shards, not ${opts.shards}: the count is fixed ` +
          `once chosen. Use TEMPORAL_HISTORY_SHARDS=${had}, or drop databases ${temporalDatabases.database} and ` +
          `${temporalDatabases.visibilityDatabase} (with the embedded PostgreSQL: delete ${opts.dataDir}).`,
      );
    }
    await prepareTemporalDatabases(tools, temporalDatabases);
    const temporal = await startTemporalServer({
      tools,
      db: temporalDatabases,
      shards: opts.shards,
      ports: opts.temporalPorts,
      namespace: opts.namespace,
      logFile: path.join(logDir, 'temporal-server.log'),
      restartDelayMs: opts.restartDelayMs,
      processPerService: opts.temporalProcessPerService,
      onEvent: event,
    });
    stops.unshift(() => temporal.stop());
    let ui: Awaited<ReturnType<typeof startTemporalUi>> | undefined;
    if (opts.uiPort !== undefined) {
      ui = await startTemporalUi({
        tools,
        address: temporal.address,
        port: opts.uiPort,
        namespace: opts.namespace,
        logFile: path.join(logDir, 'temporal-ui.log'),
        restartDelayMs: opts.restartDelayMs,
        onEvent: event,
      });
      const u = ui.process;
      stops.unshift(() => u.stop());
    }

    // Workers and API processes, all on the one workflow bundle built here.
    const bundlePath = path.join(opts.dataDir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(root, 'workflows', 'index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    fs.writeFileSync(bundlePath, bundle.code);
    const appEnv: Record<string, string | undefined> = {
      ...opts.appEnv,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: opts.namespace,
      TIJORI_WORKFLOW_BUNDLE: bundlePath,
    };
    const probeConnection = await Connection.connect({ address: temporal.address });
    stops.push(() => probeConnection.close());
    const sup = { restartDelayMs: opts.restartDelayMs, onEvent: event };
    const workers = Array.from({ length: opts.workers }, (_, i) =>
      workerProcess(appEnv, `worker-${i + 1}`, logDir, probeConnection, sup),
    );
    const apis = opts.apiPorts.map((port, i) => apiProcess(appEnv, port, `api-${i + 1}`, logDir, sup));
    for (const p of [...workers, ...apis]) {
      stops.unshift(async () => {
        await p.stop();
        p.close();
      });
    }
    await Promise.all([...workers, ...apis].map((p) => p.start()));

    return {
      databaseUrl,
      temporalAddress: temporal.address,
      temporalDatabases,
      uiUrl: ui?.url,
      apiUrls: opts.apiPorts.map((p) => `http://127.0.0.1:${p}`),
      postgres,
      temporal,
      ui: ui?.process,
      workers,
      apis,
      appEnv,
      temporalConnection: probeConnection,
      logDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
