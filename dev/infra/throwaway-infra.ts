import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { startEmbeddedPostgres } from './embedded-postgres';
import { freePort } from './free-port';
import { ensureTemporalCli } from './temporal-cli';
import { startTemporalDevServer } from './temporal-dev-server';

export interface ThrowawayInfra {
  /** DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_CLI_PATH, TIJORI_WORKFLOW_BUNDLE for the parts to use. */
  env: Record<string, string>;
  workDir: string;
  stop: () => Promise<void>;
}

const root = path.resolve(__dirname, '..', '..');

/**
 * A PostgreSQL (fresh database, migrated) and a Temporal dev server on free ports, plus a
 * workflow bundle built once, all in a temporary directory removed on stop. For the test run and
 * the benchmarks; DATABASE_URL / TEMPORAL_ADDRESS in `from` point at existing servers instead.
 */
export async function startThrowawayInfra(
  from: NodeJS.ProcessEnv,
  opts: { unsafeFastPostgres: boolean; temporalSqliteFile?: boolean; log?: (m: string) => void },
): Promise<ThrowawayInfra> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-'));
  fs.chmodSync(work, 0o755);
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups) await c().catch((e: unknown) => opts.log?.(`cleanup failed: ${String(e)}`));
    fs.rmSync(work, { recursive: true, force: true });
  };
  const env: Record<string, string> = {};
  try {
    if (from.DATABASE_URL) {
      env.DATABASE_URL = from.DATABASE_URL;
    } else {
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(work, 'pg'),
        port: await freePort(),
        persistent: false,
        unsafeFast: opts.unsafeFastPostgres,
      });
      cleanups.unshift(() => pg.stop());
      const dbName = `tijori_${Date.now()}`;
      await pg.createDatabase(dbName);
      env.DATABASE_URL = pg.url(dbName);
    }
    const db = createDb(env.DATABASE_URL);
    const applied = await migrateLatest(db);
    await db.destroy();
    opts.log?.(`database ready (${applied.length} migrations)`);

    if (from.TEMPORAL_ADDRESS) {
      env.TEMPORAL_ADDRESS = from.TEMPORAL_ADDRESS;
    } else {
      const cliPath = ensureTemporalCli(from.TEMPORAL_CLI_PATH || undefined);
      const server = await startTemporalDevServer({
        cliPath,
        port: await freePort(),
        namespace: from.TEMPORAL_NAMESPACE ?? 'default',
        dbFile: opts.temporalSqliteFile ? path.join(work, 'temporal.sqlite') : undefined,
      });
      cleanups.unshift(() => server.stop());
      env.TEMPORAL_ADDRESS = server.address;
      env.TEMPORAL_CLI_PATH = cliPath;
    }
    const bundlePath = path.join(work, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(root, 'workflows', 'index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    fs.writeFileSync(bundlePath, bundle.code);
    env.TIJORI_WORKFLOW_BUNDLE = bundlePath;
    opts.log?.(`temporal ready at ${env.TEMPORAL_ADDRESS}`);
    return { env, workDir: work, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
