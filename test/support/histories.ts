import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const historiesDir = path.resolve(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1 (`npm run histories:record`), a test saves the history of a workflow
 * it just finished, for the replay test to guard against non-deterministic changes. Exported
 * with the Temporal CLI (`temporal workflow show -o json`), the documented format.
 */
export function recordHistory(
  workflowId: string,
  name: string,
  opts: { waitForClose?: boolean; runId?: string } = {},
): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set (histories are recorded against the dev server)');
  const target = ['--workflow-id', workflowId, '--address', process.env.TEMPORAL_ADDRESS!];
  if (opts.runId) target.push('--run-id', opts.runId);
  // Wait for it to close, so the history is the whole story (a failed workflow is fine too);
  // long-lived workflows (KYC) are recorded as far as they got.
  if (opts.waitForClose !== false) {
    try {
      execFileSync(cli, ['workflow', 'result', ...target], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // `result` exits non-zero for a failed workflow; its history is still worth replaying.
    }
  }
  const json = execFileSync(cli, ['workflow', 'show', ...target, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), json);
}
