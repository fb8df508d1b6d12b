import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';

/** A knex handle on the run's throwaway database (set up by scripts/run-tests.ts). */
export function testDb(poolMax = 10): Db {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through `npm test`');
  return createDb(url, poolMax);
}

/** A suffix that keeps each test's rows apart from every other test's in the shared database. */
export function uniq(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A database of its own on the run's PostgreSQL server, migrated, for a test whose volume would
 * slow every later test on the shared one (each `verify` reads the whole ledger); dropped by `drop`.
 */
export async function separateDatabase(): Promise<{ url: string; db: Db; drop: () => Promise<void> }> {
  const shared = testDb(1);
  const name = `tijori_own_${uniq().toLowerCase()}`;
  await shared.raw('create database ??', [name]);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const db = createDb(url.toString());
  await migrateLatest(db);
  return {
    url: url.toString(),
    db,
    drop: async () => {
      await db.destroy();
      await shared.raw('drop database if exists ?? with (force)', [name]);
      await shared.destroy();
    },
  };
}
