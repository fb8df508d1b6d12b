import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { startEmbeddedPostgres, type RunningPostgres } from '../../dev/infra/embedded-postgres';
import { freePort } from '../../dev/infra/free-port';
import { ensureTemporalCli } from '../../dev/infra/temporal-cli';
import { startTemporalDevServer, type RunningDevServer } from '../../dev/infra/temporal-dev-server';

/**
 * A PostgreSQL and a Temporal dev server of the chaos tests' own, so stopping them disturbs no
 * other test file. Both keep their state across a restart: the same data directory and port for
 * PostgreSQL (with real durability: no fsync=off here), a SQLite file for Temporal.
 */
export interface ChaosInfra {
  /** DATABASE_URL and TEMPORAL_ADDRESS for the stack and the worker processes. */
  env: { DATABASE_URL: string; TEMPORAL_ADDRESS: string };
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  /** Stops whatever runs and removes the data; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startChaosInfra(log: (m: string) => void = () => {}): Promise<ChaosInfra> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-chaos-'));
  fs.chmodSync(work, 0o755);
  const pgPort = await freePort();
  const temporalPort = await freePort();
  const cliPath = ensureTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
  const dbName = 'tijori_chaos';
  let pg: RunningPostgres | undefined;
  let temporal: RunningDevServer | undefined;

  const startPostgres = async () => {
    if (pg) return;
    pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: pgPort, persistent: true });
  };
  const stopPostgres = async () => {
    const running = pg;
    pg = undefined;
    await running?.stop();
  };
  const startTemporal = async () => {
    if (temporal) return;
    temporal = await startTemporalDevServer({
      cliPath,
      port: temporalPort,
      namespace: 'default',
      dbFile: path.join(work, 'temporal.sqlite'),
      onLog: (line) => {
        if (/"level":"(error|fatal)"/.test(line)) log(`temporal: ${line}`);
      },
    });
  };
  const stopTemporal = async () => {
    const running = temporal;
    temporal = undefined;
    await running?.stop();
  };
  const stop = async () => {
    await stopTemporal().catch((e: unknown) => log(`stopping temporal: ${String(e)}`));
    await stopPostgres().catch((e: unknown) => log(`stopping postgres: ${String(e)}`));
    fs.rmSync(work, { recursive: true, force: true });
  };

  try {
    await startPostgres();
    await pg!.createDatabase(dbName);
    const url = pg!.url(dbName);
    const db = createDb(url);
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    await startTemporal();
    return {
      env: { DATABASE_URL: url, TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}` },
      stopPostgres,
      startPostgres,
      stopTemporal,
      startTemporal,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
