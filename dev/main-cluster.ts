/**
 * `npm run start:cluster`: the production topology on one machine. PostgreSQL (embedded, or
 * DATABASE_URL's server), the real Temporal server on it (built once from Go modules; databases
 * created and migrated by its schema tool; TEMPORAL_HISTORY_SHARDS history shards, default 4),
 * its Web UI, the provider simulators, CLUSTER_WORKERS worker processes and CLUSTER_APIS API
 * processes (default 2 each) on consecutive ports from API_PORT; TEMPORAL_PROCESS_PER_SERVICE=true
 * runs each Temporal service as its own process. Any of those processes that dies is started
 * again, as a supervisor would. Data lives in <TIJORI_DATA_DIR>/cluster.
 */
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db/knex';
import { startCluster } from './infra/cluster';
import { defaultTemporalPorts, TEMPORAL_SERVER_VERSION } from './infra/temporal-server';
import { createLogger } from '../src/logger';
import { onShutdown } from '../src/run/shutdown';
import { startSimulators } from './simulators/start';
import { bootstrapAdmin, devAdminKey } from '../src/users/bootstrap';

const clusterEnv = z.object({
  TEMPORAL_HISTORY_SHARDS: z.coerce.number().int().min(1).max(16_384).default(4),
  CLUSTER_WORKERS: z.coerce.number().int().min(1).max(16).default(2),
  CLUSTER_APIS: z.coerce.number().int().min(1).max(16).default(2),
  TEMPORAL_PROCESS_PER_SERVICE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
});

async function main(): Promise<void> {
  const parsed = clusterEnv.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `invalid cluster setting: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const sizes = parsed.data;
  const base = loadConfig();
  if (base.temporal.address) throw new Error('TEMPORAL_ADDRESS is set: start:cluster runs its own Temporal server');
  const log = createLogger(base.logLevel, 'tijori-cluster');
  const stops: Array<() => Promise<void>> = [];
  onShutdown(log, stops);
  const dataDir = path.join(base.dataDir, 'cluster');
  const adminKey = base.api.bootstrapAdminKey ?? devAdminKey(dataDir);
  const apiPorts = Array.from({ length: sizes.CLUSTER_APIS }, (_, i) => base.api.port + i);
  const uiUrl = `http://127.0.0.1:${base.temporal.uiPort}`;

  // Callbacks and webhooks go to the first API process (a load balancer's job in production).
  const sims = await startSimulators(base, log, {
    apiBaseUrl: `http://127.0.0.1:${apiPorts[0]!}`,
    kycWebhookSecret: base.kyc.webhookSecret,
  });
  stops.push(() => sims.stop());

  // The admin is bootstrapped here, once, not by each API process.
  const appEnv: Record<string, string | undefined> = { ...process.env, TEMPORAL_UI_URL: uiUrl };
  delete appEnv.TIJORI_ADMIN_API_KEY;
  const cluster = await startCluster({
    dataDir,
    databaseUrl: base.database.url,
    postgresPort: base.database.embeddedPort,
    temporalPorts: defaultTemporalPorts,
    uiPort: base.temporal.uiPort,
    shards: sizes.TEMPORAL_HISTORY_SHARDS,
    temporalProcessPerService: sizes.TEMPORAL_PROCESS_PER_SERVICE,
    namespace: base.temporal.namespace,
    apiPorts,
    workers: sizes.CLUSTER_WORKERS,
    appEnv,
    restartDelayMs: 1000,
    onEvent: (m) => log.warn(m),
  });
  stops.unshift(() => cluster.stop());

  const db = createDb(cluster.databaseUrl);
  const admin = await bootstrapAdmin(db, adminKey, { mobile: base.api.bootstrapAdminMobile });
  await db.destroy();

  const t = defaultTemporalPorts;
  const pids = (ps: typeof cluster.workers) => ps.map((p) => p.pid).join(', ');
  const lines = [
    '',
    `Tijori is running in the production topology. Ctrl-C stops everything; data is kept in ${dataDir}`,
    '',
    ...cluster.apiUrls.map(
      (url, i) => `  API ${String(i + 1).padEnd(16)}${url}   (docs ${url}/docs, OpenAPI ${url}/v1/openapi.json)`,
    ),
    `  Workers             ${cluster.workers.length} processes (pids ${pids(cluster.workers)}), task queue ${base.temporal.taskQueue}`,
    `  Temporal            ${cluster.temporalAddress}  namespace ${base.temporal.namespace}, ${sizes.TEMPORAL_HISTORY_SHARDS} history shards (server ${TEMPORAL_SERVER_VERSION} on PostgreSQL)`,
    `  Temporal services   history 127.0.0.1:${t.history}, matching 127.0.0.1:${t.matching}, worker 127.0.0.1:${t.worker}, HTTP API 127.0.0.1:${t.frontendHttp}`,
    `  Temporal Web UI     ${cluster.uiUrl ?? '(none)'}`,
    `  PostgreSQL          ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':****@')} (+ ${cluster.temporalDatabases.database}, ${cluster.temporalDatabases.visibilityDatabase})`,
    `  Operator providers  ${sims.urls.operator}/providers (control: ${sims.urls.operator}/control)`,
    `  KYC provider        ${sims.urls.kyc}`,
    `  Payment gateway     ${sims.urls.gateway}`,
    `  SMS sink (twilio)   ${sims.urls.sms}/messages`,
    `  Mail sink           smtp://127.0.0.1:${sims.urls.smtpPort}, ${sims.urls.mailHttp}/messages`,
    `  Logs                ${cluster.logDir}/{${cluster.temporal.processes.map((p) => p.name).join(',')},temporal-ui,worker-N,api-N}.log`,
    '',
    `  Admin (${admin.created ? 'created now' : 'existing'}): ${admin.adminId}`,
    `  Log in:  curl -H 'Authorization: Bearer ${adminKey}' ${cluster.apiUrls[0]!}/v1/users/${admin.adminId}`,
    base.api.bootstrapAdminKey ? '' : `  (key generated once and kept in ${path.join(dataDir, 'admin-api-key')})`,
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
