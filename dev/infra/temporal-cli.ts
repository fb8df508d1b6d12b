import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const repoRoot = path.resolve(__dirname, '..', '..');
const localBin = path.join(repoRoot, '.tools', 'bin', 'temporal');

function onPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

/** Where the Temporal CLI is, without building it: TEMPORAL_CLI_PATH, .tools/bin, then PATH. */
export function findTemporalCli(explicit?: string): string | undefined {
  if (explicit) return fs.existsSync(explicit) ? explicit : undefined;
  if (fs.existsSync(localBin)) return localBin;
  return onPath();
}

/**
 * Returns a usable Temporal CLI, building it once with `go install` (pinned) into .tools/bin.
 * No binary can be downloaded on these machines, so Go compiles it from the module proxy.
 */
export function ensureTemporalCli(explicit?: string, log: (m: string) => void = console.error): string {
  const found = findTemporalCli(explicit);
  if (found) return found;
  if (explicit) throw new Error(`TEMPORAL_CLI_PATH=${explicit} does not exist`);
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    throw new Error(
      'The Temporal dev server is needed but no `temporal` CLI was found and Go is not installed.\n' +
        'Install Go 1.25+ (https://go.dev/doc/install) so it can be built, put a `temporal` binary on PATH, ' +
        'or set TEMPORAL_ADDRESS to an existing Temporal server.',
    );
  }
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${go.stdout.trim()} into .tools/bin ` +
      '(first run only; takes a few minutes on 2 cores)...',
  );
  const started = Date.now();
  execFileSync(
    'go',
    [
      'install',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
      `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: path.dirname(localBin) },
    },
  );
  log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${localBin}`);
  return localBin;
}
