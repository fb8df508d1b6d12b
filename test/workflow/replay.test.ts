import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { historiesDir } from '../support/histories';

// Replays every recorded history against today's workflow code: a change that would break
// workflows already running in production fails here with a DeterminismViolationError.
const files = fs.existsSync(historiesDir) ? fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json')) : [];

test('recorded histories exist', () => {
  assert.ok(files.length > 0, `no histories under ${historiesDir}: run npm run histories:record`);
});

for (const file of files) {
  test(`replays ${file}`, async () => {
    const bundlePath = process.env.TIJORI_WORKFLOW_BUNDLE;
    assert.ok(bundlePath, 'TIJORI_WORKFLOW_BUNDLE is set by scripts/run-tests.ts');
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath } }, history, path.basename(file, '.json'));
  });
}
