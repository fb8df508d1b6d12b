import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest, migrationsDirectory } from '../../src/db/migrate';
import { testDb, uniq } from './db';

export interface FreshDatabase {
  db: Db;
  url: string;
  /** Applies the migrations not applied yet. */
  migrateLatest(): Promise<string[]>;
  drop(): Promise<void>;
}

/** The migrations whose names sort before `name`, recorded under their source names like migrateLatest's. */
class MigrationsBefore implements Knex.MigrationSource<string> {
  constructor(private readonly name: string) {}

  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(migrationsDirectory)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f < this.name)
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<Knex.Migration> {
    return (await import(path.join(migrationsDirectory, name))) as Knex.Migration;
  }
}

/**
 * A database of its own beside the run's shared one, for tests about a whole table (start-up
 * checks over every provider, the one bootstrap admin) or about a migration: migrated to the
 * latest, or only to just before the migration named `before`.
 */
export async function freshDatabase(opts: { before?: string } = {}): Promise<FreshDatabase> {
  const server = testDb(1);
  const name = uniq('fresh_');
  await server.raw('create database ??', [name]);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), 10);
  if (opts.before) {
    await db.migrate.latest({ migrationSource: new MigrationsBefore(opts.before), tableName: 'knex_migrations' });
  } else {
    await migrateLatest(db);
  }
  return {
    db,
    url: url.toString(),
    migrateLatest: () => migrateLatest(db),
    drop: async () => {
      await db.destroy();
      await server.raw('drop database ?? with (force)', [name]);
      await server.destroy();
    },
  };
}
