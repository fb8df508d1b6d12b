/**
 * `npm start`: the whole platform in one process tree for development — embedded PostgreSQL,
 * the Temporal dev server with its Web UI, the provider simulators, the worker and the API.
 * DATABASE_URL / TEMPORAL_ADDRESS switch the first two to external services.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { startEmbeddedPostgres } from './infra/embedded-postgres';
import { ensureTemporalCli } from './infra/temporal-cli';
import { startTemporalDevServer } from './infra/temporal-dev-server';
import { createLogger } from '../src/logger';
import { defaultPortalDir } from '../src/http/portal';
import { startApi } from '../src/run/api';
import { onShutdown } from '../src/run/shutdown';
import { startSimulators } from './simulators/start';
import { startWorker } from '../src/run/worker';
import { bootstrapAdmin, devAdminKey } from '../src/users/bootstrap';

/** The development admin's sign-in mobile (not a simulator test subscriber). */
const DEV_ADMIN_MOBILE = '9876543210';

async function main(): Promise<void> {
  const base = loadConfig();
  const log = createLogger(base.logLevel, 'tijori');
  const stops: Array<() => Promise<void>> = [];
  onShutdown(log, stops);
  fs.mkdirSync(base.dataDir, { recursive: true });
  const overrides: Record<string, string> = {};

  if (!base.database.url) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(base.dataDir, 'pg'),
      port: base.database.embeddedPort,
      persistent: true,
      onLog: (line) => log.debug({ component: 'postgres' }, line),
    });
    stops.unshift(() => pg.stop());
    await pg.createDatabase('tijori');
    overrides.DATABASE_URL = pg.url('tijori');
  }
  if (!base.temporal.address) {
    const temporal = await startTemporalDevServer({
      cliPath: ensureTemporalCli(base.temporal.cliPath),
      port: base.temporal.devPort,
      uiPort: base.temporal.uiPort,
      dbFile: path.join(base.dataDir, 'temporal.sqlite'),
      namespace: base.temporal.namespace,
      onLog: (line) => log.debug({ component: 'temporal-server' }, line),
    });
    stops.unshift(() => temporal.stop());
    overrides.TEMPORAL_ADDRESS = temporal.address;
  }
  const adminKey = base.api.bootstrapAdminKey ?? devAdminKey(base.dataDir);
  const config = loadConfig({ ...process.env, ...overrides, TIJORI_ADMIN_API_KEY: adminKey });

  const db = createDb(config.database.url!);
  const applied = await migrateLatest(db);
  // In development the admin can sign into the portal at once; TIJORI_ADMIN_MOBILE overrides.
  const admin = await bootstrapAdmin(db, adminKey, { mobile: config.api.bootstrapAdminMobile ?? DEV_ADMIN_MOBILE });
  const { mobile: adminMobile } = (await db('users').where({ id: admin.adminId }).first('mobile')) as {
    mobile: string | null;
  };
  await db.destroy();

  const sims = await startSimulators(config, log, {
    apiBaseUrl: config.api.publicUrl,
    kycWebhookSecret: config.kyc.webhookSecret,
    webhookReceiverPort: config.simulators.webhookReceiverPort,
  });
  stops.unshift(() => sims.stop());
  ensurePortalBuilt();
  const worker = await startWorker(config, log);
  stops.unshift(() => worker.stop());
  const api = await startApi(config, log);
  stops.unshift(() => api.stop());

  const lines = [
    '',
    'Tijori is running. Ctrl-C stops everything; data is kept in ' + config.dataDir,
    '',
    `  Portal              ${api.url}/   (sign in with a user's mobile; the code arrives in the SMS sink)`,
    `  API                 ${api.url}   (docs ${api.url}/docs, OpenAPI ${api.url}/v1/openapi.json)`,
    `  Temporal            ${config.temporal.address}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
    `  Temporal Web UI     ${base.temporal.address ? '(external cluster)' : config.temporal.uiUrl}`,
    `  PostgreSQL          ${config.database.url!.replace(/:[^:@/]+@/, ':****@')}`,
    `  Operator providers  ${sims.urls.operator}/providers (control: ${sims.urls.operator}/control)`,
    `  KYC provider        ${sims.urls.kyc}`,
    `  Payment gateway     ${sims.urls.gateway}`,
    `  SMS sink (twilio)   ${sims.urls.sms}/messages`,
    `  Mail sink           smtp://127.0.0.1:${sims.urls.smtpPort}, ${sims.urls.mailHttp}/messages`,
    `  Webhook receiver    ${sims.urls.webhookReceiver}/hooks/<any> (deliveries: ${sims.urls.webhookReceiver}/deliveries)`,
    '',
    `  Migrations applied this start: ${applied.length}`,
    `  Admin (${admin.created ? 'created now' : 'existing'}): ${admin.adminId}`,
    `  Log in:  curl -H 'Authorization: Bearer ${adminKey}' ${api.url}/v1/users/${admin.adminId}`,
    adminMobile
      ? `  Portal:  ${api.url}/ as the admin: mobile ${adminMobile}, the code at ${sims.urls.sms}/messages?to=${adminMobile}`
      : '',
    base.api.bootstrapAdminKey
      ? ''
      : `  (key generated once and kept in ${path.join(config.dataDir, 'admin-api-key')})`,
    '',
  ];
  console.log(lines.join('\n'));
}

/** The API serves the portal from portal/dist: built once here when missing (`npm run build:portal` rebuilds). */
function ensurePortalBuilt(): void {
  if (fs.existsSync(path.join(defaultPortalDir(), 'index.html'))) return;
  console.log('building the portal (portal/dist) ...');
  const built = spawnSync('npx', ['vite', 'build', 'portal', '--logLevel', 'warn'], {
    cwd: path.resolve(__dirname, '..'),
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('the portal build failed (npm run build:portal)');
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
