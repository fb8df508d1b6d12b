import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Money is bigint paise everywhere: read int8 columns as BigInt, never as a float or string.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));

export type Db = Knex;

/** `readOnly`: every session refuses writes (reports' connection). */
export function createDb(url: string, poolMax = 20, opts: { readOnly?: boolean } = {}): Db {
  return knexFactory({
    client: 'pg',
    connection: opts.readOnly ? { connectionString: url, options: '-c default_transaction_read_only=on' } : url,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 30_000,
  });
}
