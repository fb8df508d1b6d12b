import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './knex';

// Migrations run from TypeScript sources under tsx and from compiled JS under dist/.
const runningCompiled = __filename.endsWith('.js');
const loadExtension = runningCompiled ? '.js' : '.ts';

export const migrationsDirectory = path.resolve(__dirname, '..', '..', 'migrations');

/** For `migrate:make`: new migrations are TypeScript sources. */
export function migrationConfig() {
  return { directory: migrationsDirectory, extension: 'ts', tableName: 'knex_migrations' };
}

/**
 * Migrations are recorded under their source name (`…_users.ts`) whichever form runs them, so a
 * database migrated by `npm start` (tsx) and one migrated by the production build (compiled
 * `.js`) agree on what has been applied.
 */
class SourceNamedMigrations implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(migrationsDirectory)
      .filter((f) => f.endsWith(loadExtension) && !f.endsWith('.d.ts'))
      .map((f) => `${path.basename(f, loadExtension)}.ts`)
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<Knex.Migration> {
    return (await import(
      path.join(migrationsDirectory, `${path.basename(name, '.ts')}${loadExtension}`)
    )) as Knex.Migration;
  }
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({
    migrationSource: new SourceNamedMigrations(),
    tableName: 'knex_migrations',
  })) as [number, string[]];
  return applied;
}
