import { createDb, type Db } from '../../src/db/knex';

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
