// `npm run api`: the HTTP API alone, for production (DATABASE_URL and TEMPORAL_ADDRESS required).
import { loadConfig } from './config';
import { createDb } from './db/knex';
import { migrateLatest } from './db/migrate';
import { bootstrapAdmin } from './users/bootstrap';
import { createLogger } from './logger';
import { startApi } from './run/api';
import { onShutdown } from './run/shutdown';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'tijori-api');
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'DATABASE_URL and TEMPORAL_ADDRESS must be set for `npm run api` (use `npm start` for a local stack)',
    );
  }
  const db = createDb(config.database.url);
  try {
    const applied = await migrateLatest(db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    if (config.api.bootstrapAdminKey) {
      const admin = await bootstrapAdmin(db, config.api.bootstrapAdminKey, {
        mobile: config.api.bootstrapAdminMobile,
      });
      if (admin.created) log.info({ adminId: admin.adminId }, 'bootstrap admin created');
    }
  } finally {
    await db.destroy();
  }
  const api = await startApi(config, log);
  onShutdown(log, [() => api.stop()]);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
