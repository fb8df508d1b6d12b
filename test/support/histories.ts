import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const historiesDir = path.resolve(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1 (`npm run histories:record`), a workflow test saves the history of the
 * run it just finished, for the replay test to guard against non-deterministic changes.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), historyToJSON(history));
}
