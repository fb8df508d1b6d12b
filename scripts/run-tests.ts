/**
 * The test command: starts a throwaway PostgreSQL (fresh database per run) and a Temporal dev
 * server on free ports, migrates, bundles the workflows once, then runs every test file with
 * node's test runner. It never touches the data of `npm start` and can run beside it.
 *
 *   tsx scripts/run-tests.ts                 all suites
 *   tsx scripts/run-tests.ts --only unit     just the pure unit tests (no servers)
 *   tsx scripts/run-tests.ts test/e2e/x.test.ts   named files
 *
 * The browser suite drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium, installed
 * with apt-get when missing) through the portal, which is built first.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startThrowawayInfra } from '../dev/infra/throwaway-infra';
import { ensureSchemathesis } from './ensure-schemathesis';

const root = path.resolve(__dirname, '..');
const suites = ['unit', 'integration', 'workflow', 'e2e', 'browser'] as const;

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

function pickFiles(args: string[]): { files: string[]; needsServers: boolean } {
  const only = args.indexOf('--only');
  if (only >= 0) {
    const suite = args[only + 1] as (typeof suites)[number];
    if (!suites.includes(suite)) throw new Error(`--only takes one of ${suites.join(', ')}`);
    return { files: findTests(path.join(root, 'test', suite)), needsServers: suite !== 'unit' };
  }
  const named = args.filter((a) => a.endsWith('.ts'));
  if (named.length) return { files: named.map((f) => path.resolve(f)), needsServers: true };
  return { files: suites.flatMap((s) => findTests(path.join(root, 'test', s))), needsServers: true };
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { stdio: 'inherit', env, cwd: root },
    );
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Debian's Chromium for the browser suite, installed with apt-get when missing (as root; the only
 * way it is ever fetched: Playwright's own browser download is never used).
 */
function ensureChromium(): void {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (fs.existsSync(chromium)) return;
  if (process.env.CHROMIUM_PATH || process.getuid?.() !== 0) {
    throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium (as root), or set CHROMIUM_PATH`);
  }
  console.log('installing Debian chromium for the browser tests');
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (
    apt(['install', '-y', 'chromium']).status !== 0 &&
    (apt(['update']).status !== 0 || apt(['install', '-y', 'chromium']).status !== 0)
  ) {
    throw new Error('apt-get could not install chromium');
  }
}

function buildPortal(): void {
  const built = spawnSync('npx', ['vite', 'build', 'portal', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the portal build failed');
}

async function main(): Promise<number> {
  const { files, needsServers } = pickFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
  if (!needsServers) return runNodeTests(files, env);
  // The independent API fuzzer is a Python tool, installed on first use into .tools/venv.
  if (files.some((f) => path.basename(f) === 'schemathesis.test.ts')) ensureSchemathesis();
  if (files.some((f) => f.includes(`${path.sep}browser${path.sep}`))) {
    ensureChromium();
    buildPortal();
  }
  const infra = await startThrowawayInfra(process.env, { unsafeFastPostgres: true, log: console.log });
  try {
    console.log(`running ${files.length} test files`);
    return await runNodeTests(files, { ...env, ...infra.env, TIJORI_TEST_WORKDIR: infra.workDir });
  } finally {
    await infra.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
