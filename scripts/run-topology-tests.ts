/**
 * `npm run test:topology`: the production-topology suite (test/topology), apart from `npm test`
 * because it needs the real Temporal server, built once from Go modules (minutes and ~3 GB of Go
 * cache the first time; see README). Each test file starts what it needs itself. The whole run is
 * bounded: it is stopped after TOPOLOGY_TIMEOUT_MINUTES (default 10).
 *
 *   tsx scripts/run-topology-tests.ts                       every file in test/topology
 *   tsx scripts/run-topology-tests.ts test/topology/x.test.ts
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureTemporalServerTools } from '../dev/infra/temporal-server';

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'test', 'topology');

function main(): Promise<number> {
  const named = process.argv.slice(2).filter((a) => a.endsWith('.ts'));
  const files = named.length
    ? named.map((f) => path.resolve(f))
    : fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join(dir, f));
  ensureTemporalServerTools(console.log);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
  // The suite starts its own PostgreSQL and Temporal server.
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  const limitMs = Number(process.env.TOPOLOGY_TIMEOUT_MINUTES ?? 10) * 60_000;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { stdio: 'inherit', env, cwd: root },
    );
    const timer = setTimeout(() => {
      console.error(`topology suite still running after ${limitMs / 60_000} min: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, limitMs);
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
