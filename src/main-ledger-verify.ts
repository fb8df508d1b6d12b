/**
 * `npm run ledger:verify`: checks the ledger's invariants and prints the report as JSON.
 * Exit code 0 when clean, 1 on violations, 2 on configuration or connection errors.
 */
import { loadConfig } from './config';
import { createDb } from './db/knex';
import { Ledger } from './ledger';

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.database.url) {
    console.error('DATABASE_URL is required for ledger:verify');
    return 2;
  }
  const db = createDb(config.database.url, 2);
  try {
    const report = await new Ledger(db).verify();
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
