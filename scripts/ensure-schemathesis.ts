/**
 * Installs the pinned schemathesis (the independent API fuzzer of test/e2e/schemathesis.test.ts)
 * into a Python virtual environment at .tools/venv, unless that version is there already.
 * Needs python3 with its venv module (Debian: python3-venv).
 *
 *   tsx scripts/ensure-schemathesis.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SCHEMATHESIS_VERSION = '4.32.5';
const venv = path.resolve(__dirname, '..', '.tools', 'venv');
export const SCHEMATHESIS_BIN = path.join(venv, 'bin', 'schemathesis');

function installedVersion(): string | undefined {
  if (!fs.existsSync(SCHEMATHESIS_BIN)) return undefined;
  const r = spawnSync(SCHEMATHESIS_BIN, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(r.stdout ?? '')?.[1];
}

/**
 * The newest Python 3 at hand (pyenv's first, then the PATH's): CPython 3.11's parser can fail
 * hypothesis with "AST constructor recursion depth mismatch" on deep schemas; 3.12 fixed it.
 */
function python(): string {
  const candidates: string[] = [];
  const pyenv = spawnSync('pyenv', ['versions', '--bare'], { encoding: 'utf8' });
  const versions = (pyenv.stdout ?? '')
    .split('\n')
    .filter((v) => /^3\.1[2-9]\.[0-9]+$/.test(v.trim()))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const v of versions) {
    const prefix = spawnSync('pyenv', ['prefix', v.trim()], { encoding: 'utf8' }).stdout?.trim();
    if (prefix) candidates.push(path.join(prefix, 'bin', 'python3'));
  }
  candidates.push('python3.13', 'python3.12', 'python3');
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['-c', 'import venv, ensurepip']).status === 0) return candidate;
  }
  throw new Error('python3 with its venv module is needed (Debian: apt-get install python3-venv)');
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

export function ensureSchemathesis(): void {
  if (installedVersion() === SCHEMATHESIS_VERSION) return;
  console.log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${venv}`);
  if (!fs.existsSync(path.join(venv, 'bin', 'pip'))) must(python(), ['-m', 'venv', venv]);
  must(path.join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (installedVersion() !== SCHEMATHESIS_VERSION) throw new Error('schemathesis did not install');
}

if (require.main === module) ensureSchemathesis();
