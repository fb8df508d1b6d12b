import path from 'node:path';
import type { Db } from './knex';

// Migrations run from TypeScript sources under tsx and from compiled JS under dist/.
const runningCompiled = __filename.endsWith('.js');

export const migrationsDirectory = path.resolve(__dirname, '..', '..', 'migrations');

export function migrationConfig() {
  return {
    directory: migrationsDirectory,
    loadExtensions: [runningCompiled ? '.js' : '.ts'],
    extension: 'ts',
    tableName: 'knex_migrations',
  };
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
  return applied;
}
