// `npm run migrate` applies pending migrations; `npm run migrate:make <name>` creates one.
import { loadConfig } from './config';
import { createDb } from './db/knex';
import { migrateLatest, migrationConfig } from './db/migrate';

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command === 'make') {
    if (!name) throw new Error('usage: npm run migrate:make <name>');
    // Creating a file needs no database connection.
    const db = createDb('postgres://unused@127.0.0.1/unused');
    const file = await db.migrate.make(name, migrationConfig());
    await db.destroy();
    console.log(`created ${file}`);
    return;
  }
  const config = loadConfig();
  if (!config.database.url) {
    throw new Error('DATABASE_URL is not set (npm start migrates its embedded database by itself)');
  }
  const db = createDb(config.database.url);
  try {
    const applied = await migrateLatest(db);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'already up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
