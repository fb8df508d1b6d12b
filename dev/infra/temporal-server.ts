/**
 * The real Temporal server (not the dev server) on PostgreSQL, for `npm run start:cluster`, the
 * topology tests and the benchmark: building it from Go modules once, creating and migrating its
 * two databases with its schema tool, starting it from the repository's one server configuration
 * (deploy/temporal, also mounted by docker-compose.yml), registering the namespace and search
 * attributes, and the Web UI (ui-server) pointed at it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { searchAttributeKeys } from '../../src/temporal/search-attributes';
import { ManagedProcess } from './managed-process';

/** The server docker-compose.yml pins too (checked by test/topology/compose.test.ts). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The ui-server the CLI v1.5.1 embeds. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

const root = path.resolve(__dirname, '..', '..');
const binDir = path.join(root, '.tools', 'bin');
/** The server configuration: <root>/config/tijori.yaml (a template filled from the environment). */
export const serverConfigRoot = path.join(root, 'deploy', 'temporal');
export const dynamicConfigFile = path.join(serverConfigRoot, 'dynamicconfig.yaml');

export interface TemporalServerTools {
  server: string;
  sqlTool: string;
  ui: string;
}

function toolsAt(): TemporalServerTools {
  return {
    server: path.join(binDir, 'temporal-server'),
    sqlTool: path.join(binDir, 'temporal-sql-tool'),
    ui: path.join(binDir, 'temporal-ui-server'),
  };
}

/** The built server, schema tool and UI, if all are there and the server is the pinned version. */
export function findTemporalServerTools(): TemporalServerTools | undefined {
  const t = toolsAt();
  if (![t.server, t.sqlTool, t.ui].every((p) => fs.existsSync(p))) {
    return undefined;
  }
  const v = spawnSync(t.server, ['--version'], { encoding: 'utf8' });
  return v.stdout.includes(TEMPORAL_SERVER_VERSION.slice(1)) ? t : undefined;
}

/**
 * Returns the server tools, building them once with `go install` (pinned) into .tools/bin:
 * go.temporal.io/server's server and schema tool, and ui-server. A cold build takes minutes and
 * ~3 GB of Go module and build cache; nothing is downloaded but Go modules.
 */
export function ensureTemporalServerTools(log: (m: string) => void = console.error): TemporalServerTools {
  const found = findTemporalServerTools();
  if (found) return found;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    throw new Error('Go 1.25+ is needed to build the Temporal server (https://go.dev/doc/install).');
  }
  log(
    `Building the Temporal server ${TEMPORAL_SERVER_VERSION}, its schema tool and ui-server ${TEMPORAL_UI_VERSION} ` +
      `with ${go.stdout.trim()} into .tools/bin (first run only: minutes on 2 cores, ~3 GB of Go cache)...`,
  );
  const started = Date.now();
  const t = toolsAt();
  const tmp = fs.mkdtempSync(path.join(root, '.tools', 'build-'));
  try {
    const env = { ...process.env, CGO_ENABLED: '0' };
    const install = (gobin: string, pkgs: string[]) =>
      execFileSync('go', ['install', '-ldflags', '-s -w', ...pkgs], {
        stdio: 'inherit',
        env: { ...env, GOBIN: gobin },
      });
    // Both commands are called `server`: build each into its own directory, then name them.
    fs.mkdirSync(path.join(tmp, 'server'));
    fs.mkdirSync(path.join(tmp, 'ui'));
    install(path.join(tmp, 'server'), [
      `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ]);
    install(path.join(tmp, 'ui'), [`github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`]);
    fs.mkdirSync(binDir, { recursive: true });
    fs.renameSync(path.join(tmp, 'server', 'sql'), t.sqlTool);
    fs.renameSync(path.join(tmp, 'ui', 'server'), t.ui);
    fs.renameSync(path.join(tmp, 'server', 'server'), t.server);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`Temporal server tools built in ${Math.round((Date.now() - started) / 1000)} s: ${binDir}`);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Databases

/** Where the server's two databases live (one PostgreSQL server; user needs CREATEDB). */
export interface TemporalDatabases {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  visibilityDatabase: string;
}

/** The Temporal databases on the server a postgres:// URL names, with that URL's credentials. */
export function temporalDatabasesOn(url: string, names = { database: 'temporal', visibility: 'temporal_visibility' }) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: names.database,
    visibilityDatabase: names.visibility,
  } satisfies TemporalDatabases;
}

/**
 * Creates (first time) and migrates (every time: the schema tool applies only newer versions)
 * `temporal` and `temporal_visibility` with the server's schema tool and the versioned schemas
 * embedded in it (--schema-name, as docker-compose.yml runs it too).
 */
export async function prepareTemporalDatabases(tools: TemporalServerTools, db: TemporalDatabases): Promise<void> {
  const base = ['--plugin', 'postgres12_pgx', '--ep', db.host, '-p', String(db.port), '-u', db.user];
  const env = { ...process.env, SQL_PASSWORD: db.password };
  const tool = (database: string, args: string[]) =>
    execFileSync(tools.sqlTool, [...base, '--db', database, ...args], { env, encoding: 'utf8', stdio: 'pipe' });
  for (const [database, dir] of [
    [db.database, 'temporal'],
    [db.visibilityDatabase, 'visibility'],
  ] as const) {
    const state = await databaseState(db, database);
    if (!state.exists) tool(database, ['create-database', '--defaultdb', 'postgres']);
    if (!state.versioned) tool(database, ['setup-schema', '-v', '0.0']);
    tool(database, ['update-schema', '--schema-name', `postgresql/v12/${dir}`]);
  }
}

async function databaseState(db: TemporalDatabases, name: string): Promise<{ exists: boolean; versioned: boolean }> {
  const connect = async (database: string) => {
    const c = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database });
    await c.connect();
    return c;
  };
  const admin = await connect('postgres');
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) return { exists: false, versioned: false };
  } finally {
    await admin.end();
  }
  const c = await connect(name);
  try {
    const t = await c.query(`select to_regclass('public.schema_version') is not null as versioned`);
    return { exists: true, versioned: (t.rows[0] as { versioned: boolean }).versioned };
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

/** The configuration's defaults (deploy/temporal/config/tijori.yaml). */
export const defaultTemporalPorts: TemporalPorts = {
  frontend: 7233,
  frontendHttp: 7243,
  history: 7234,
  matching: 7235,
  worker: 7239,
  frontendMembership: 6933,
  historyMembership: 6934,
  matchingMembership: 6935,
  workerMembership: 6939,
};

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports for every server port, all below 32768 (membership ports are stored in a
 * PostgreSQL smallint; the OS hands out ephemeral ports above that), for tests and benchmarks.
 */
export async function freeTemporalPorts(): Promise<TemporalPorts> {
  const taken = new Set<number>();
  const pick = async () => {
    for (;;) {
      const p = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(p) && (await bindable(p))) {
        taken.add(p);
        return p;
      }
    }
  };
  const ports = {} as TemporalPorts;
  for (const k of Object.keys(defaultTemporalPorts) as Array<keyof TemporalPorts>) ports[k] = await pick();
  return ports;
}

// ---------------------------------------------------------------------------------------------
// The server

export interface TemporalServerOptions {
  tools: TemporalServerTools;
  db: TemporalDatabases;
  /** Fixed once the databases are first used. */
  shards: number;
  ports: TemporalPorts;
  namespace: string;
  logFile?: string;
  /** The server's own log level (its output goes to logFile). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Start it again after an unplanned exit (a supervisor's job). */
  restartDelayMs?: number;
  /** Extra environment, e.g. TEMPORAL_METRICS_ADDRESS. */
  env?: Record<string, string>;
  /**
   * One process per service (frontend, history, matching, worker), as a cluster spreads them
   * over hosts, so each one's CPU can be measured; by default all four share one process.
   */
  processPerService?: boolean;
  onEvent?: (m: string) => void;
}

export interface RunningTemporalServer {
  address: string;
  /** One process, or one per service (named temporal-<service>). */
  processes: ManagedProcess[];
  /** Starts it again after stop() (same databases, same ports). */
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

export const temporalServices = ['frontend', 'history', 'matching', 'worker'] as const;

/** The environment the configuration template reads (deploy/temporal/config/tijori.yaml). */
export function serverEnvironment(opts: Pick<TemporalServerOptions, 'db' | 'shards' | 'ports' | 'logLevel'>) {
  const p = opts.ports;
  return {
    TEMPORAL_LOG_LEVEL: opts.logLevel ?? 'warn',
    TEMPORAL_HISTORY_SHARDS: String(opts.shards),
    TEMPORAL_DB_HOST: opts.db.host,
    TEMPORAL_DB_PORT: String(opts.db.port),
    TEMPORAL_DB_USER: opts.db.user,
    TEMPORAL_DB_PASSWORD: opts.db.password,
    TEMPORAL_DB_NAME: opts.db.database,
    TEMPORAL_VISIBILITY_DB_NAME: opts.db.visibilityDatabase,
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_FRONTEND_PORT: String(p.frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(p.frontendHttp),
    TEMPORAL_HISTORY_PORT: String(p.history),
    TEMPORAL_MATCHING_PORT: String(p.matching),
    TEMPORAL_WORKER_PORT: String(p.worker),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(p.frontendMembership),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(p.historyMembership),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(p.matchingMembership),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(p.workerMembership),
    TEMPORAL_DYNAMIC_CONFIG_FILE: dynamicConfigFile,
    // Belt and braces beside the dynamic config: never call Temporal's version service.
    TEMPORAL_VERSION_CHECK_DISABLED: '1',
  };
}

export function serverArgs(command: 'start' | 'render-config' = 'start'): string[] {
  return ['--root', serverConfigRoot, '--config', 'config', '--env', 'tijori', '--allow-no-auth', command];
}

async function frontendServing(address: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    const r = await conn.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
    return r.status === 1; // grpc.health.v1 SERVING
  } finally {
    await conn.close();
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the server and waits until its frontend serves; registers the namespace. */
export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const address = `127.0.0.1:${opts.ports.frontend}`;
  const serving = () => frontendServing(address);
  // Every service joins the membership ring on its own port (the internal worker service serves
  // no gRPC of its own).
  const membershipPort: Record<string, number> = {
    history: opts.ports.historyMembership,
    matching: opts.ports.matchingMembership,
    worker: opts.ports.workerMembership,
  };
  const groups = opts.processPerService ? temporalServices.map((s) => [s]) : [[...temporalServices]];
  const processes = groups.map((services) => {
    const name = services.length === 1 ? `temporal-${services[0]!}` : 'temporal-server';
    const only = services.length === 1 ? services[0]! : undefined;
    return new ManagedProcess({
      name,
      command: opts.tools.server,
      args: [...serverArgs(), ...(only ? ['--service', only] : [])],
      cwd: root,
      env: { ...process.env, ...serverEnvironment(opts), ...opts.env },
      logFile: opts.logFile && only ? opts.logFile.replace(/\.log$/, `-${only}.log`) : opts.logFile,
      probe: !only || only === 'frontend' ? serving : () => listening(membershipPort[only]!),
      readyTimeoutMs: 120_000,
      restartDelayMs: opts.restartDelayMs,
      onEvent: opts.onEvent,
    });
  });
  const start = async () => {
    await Promise.all(processes.map((p) => p.start()));
  };
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  try {
    await start();
    await ensureNamespace(address, opts.namespace);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    processes,
    start,
    stop,
  };
}

const indexedTypes: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the namespace (3 days' retention) and Tijori's custom search attributes unless they
 * exist, then waits until a visibility query over every attribute is accepted: the services
 * see a new namespace and its attributes only after their caches refresh.
 */
export async function ensureNamespace(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    const exists = await conn.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await conn.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('3 days'),
      });
    }
    const deadline = Date.now() + timeoutMs;
    let have: Record<string, unknown> = {};
    for (;;) {
      try {
        have = (await conn.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const missing = searchAttributeKeys.filter((k) => !(k.name in have));
    if (missing.length) {
      await conn.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedTypes[k.type]!])),
      });
    }
    const query = searchAttributeKeys
      .map((k) => (k.type === SearchAttributeType.INT ? `${k.name} = 0` : `${k.name} = 'probe'`))
      .join(' AND ');
    for (;;) {
      try {
        await conn.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace} not usable: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await conn.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The Web UI

export interface TemporalUiOptions {
  tools: TemporalServerTools;
  address: string;
  port: number;
  namespace: string;
  logFile?: string;
  restartDelayMs?: number;
  onEvent?: (m: string) => void;
}

/** ui-server with deploy/temporal/ui/tijori.yaml, on 127.0.0.1. */
export async function startTemporalUi(opts: TemporalUiOptions): Promise<{ url: string; process: ManagedProcess }> {
  const url = `http://127.0.0.1:${opts.port}`;
  const proc = new ManagedProcess({
    name: 'temporal-ui',
    command: opts.tools.ui,
    args: ['--root', serverConfigRoot, '--config', 'ui', '--env', 'tijori', 'start'],
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_UI_HOST: '127.0.0.1',
      TEMPORAL_UI_PORT: String(opts.port),
      TEMPORAL_NAMESPACE: opts.namespace,
    },
    logFile: opts.logFile,
    probe: async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok,
    readyTimeoutMs: 60_000,
    restartDelayMs: opts.restartDelayMs,
    onEvent: opts.onEvent,
  });
  await proc.start();
  return { url, process: proc };
}
