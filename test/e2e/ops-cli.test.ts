import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { freePort } from '../../dev/infra/free-port';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer, startRecharge } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// `npm run ops -- ...` as an operator runs it: a separate process, talking to the stack's
// PostgreSQL and Temporal directly through the configuration.

const root = path.resolve(__dirname, '..', '..');
let stack: TestStack;
let db: Db;
let admin: ApiClient;
let supportId: string;

before(async () => {
  stack = await startStack({
    env: { RECHARGE_MAX_PENDING_SECONDS: '2', RECHARGE_POLL_SCHEDULE_SECONDS: '1' },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const s = await admin.post('/v1/users', { role: 'support', name: 'Support', mobile: uniqueMobile() }, false);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  supportId = s.body.id as string;
});

after(async () => {
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

function ops(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main-ops.ts'), ...args], {
    cwd: root,
    env: { ...stack.env, LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function json<T = Record<string, unknown>>(r: { code: number | null; stdout: string; stderr: string }): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

test('--help lists every command', async () => {
  const r = await ops('--help');
  assert.equal(r.code, 0, r.stderr);
  for (const c of [
    'stuck',
    'show',
    'resolve',
    'topup',
    'retry',
    'retry-batch',
    'verify-ledger',
    'reconciliation',
    'schedule',
  ]) {
    assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`), c);
  }
});

test('a manual-review recharge: listed, shown in full, resolved as failed and refunded, audited', async () => {
  const n = await fundedRetailer(admin, 100_000);
  const { id, workflowId } = await startRecharge(n.retailer, {
    operator: 'JIO',
    subscriber: '9000000007',
    amount: 10_000,
  });
  await eventually(
    async () => (await n.retailer.get<{ status: string }>(`/v1/recharges/${id}`)).body,
    (b) => b.status === 'manual_review',
    30_000,
  );

  const stuck = await ops('stuck', '--json', '--as', supportId);
  assert.equal(stuck.code, 0, stuck.stderr);
  const item = json<{ items: Array<{ id: string; reasons: Array<{ code: string }>; heldAmount: number }> }>(
    stuck,
  ).items.find((i) => i.id === id);
  assert.ok(item, stuck.stdout);
  assert.deepEqual(
    item.reasons.map((x) => x.code),
    ['manual_review'],
  );
  assert.equal(item.heldAmount, 10_000);
  const table = await ops('stuck', '--as', supportId);
  assert.match(table.stdout, new RegExp(`recharge\\s+${id}\\s+manual_review`));

  const shown = json<{
    recharge: { timeline: Array<{ status: string }> };
    transfers: Array<{ id: string; type: string }>;
    exchanges: Array<{ operation: string; provider: string }>;
    workflow: { status: string; temporalUrl: string };
  }>(await ops('show', id, '--as', supportId));
  assert.ok(shown.recharge.timeline.some((e) => e.status === 'manual_review'));
  assert.deepEqual(
    shown.transfers.map((t) => [t.id, t.type]),
    [[`${id}:hold`, 'pending']],
  );
  assert.ok(shown.exchanges.some((e) => e.operation === 'submit'));
  assert.ok(shown.exchanges.some((e) => e.operation === 'status'));
  assert.equal(shown.workflow.status, 'RUNNING');

  // A retailer cannot act as operations, and a note is required.
  const refused = await ops('resolve', id, '--outcome', 'failed', '--note', 'x', '--as', n.retailerId);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /FORBIDDEN/);
  const noNote = await ops('resolve', id, '--outcome', 'failed', '--as', supportId);
  assert.notEqual(noNote.code, 0);
  assert.match(noNote.stderr, /--note/);

  const resolved = await ops(
    'resolve',
    id,
    '--outcome',
    'failed',
    '--note',
    'operator confirms it never arrived',
    '--as',
    supportId,
  );
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal(json<{ status: string }>(resolved).status, 'failed');
  await expectWallet(n, 100_000);
  const audit = (await db('audit_events').where({ subject_id: id, type: 'ops.recharge_resolved' }).first()) as
    { actor_id: string; details: Record<string, unknown> } | undefined;
  assert.ok(audit);
  assert.equal(audit.actor_id, supportId);
  assert.equal(audit.details.note, 'operator confirms it never arrived');
  assert.equal(audit.details.via, 'cli');

  // The workflow has completed: nothing to retry.
  const retry = await ops('retry', workflowId, '--reason', 'just because', '--as', supportId);
  assert.equal(retry.code, 1);
  assert.match(retry.stderr, /CONFLICT: .*completed/);
  const batch = await ops(
    'retry-batch',
    '--query',
    `TijoriUserId = '${n.retailerId}'`,
    '--reason',
    'dry run',
    '--dry-run',
    '--as',
    supportId,
  );
  assert.equal(batch.code, 0, batch.stderr);
  assert.equal(json<{ reset: number }>(batch).reset, 0);
});

test('support approves a stuck top-up request from the platform float', async () => {
  const d = await admin.post('/v1/users', { role: 'distributor', name: 'Dist', mobile: uniqueMobile() }, false);
  const k = await admin.post('/v1/api-keys', { userId: d.body.id as string, name: 'test' }, false);
  const dist = admin.as(k.body.key as string);
  const t = await dist.post<{ id: string }>('/v1/topups', {
    method: 'bank_transfer',
    amount: 30_000,
    utr: `UTR${Date.now()}`,
  });
  assert.equal(t.status, 202, JSON.stringify(t.body));
  const fresh = await ops('topup', 'approve', t.body.id, '--note', 'UTR seen in the bank statement', '--as', supportId);
  assert.equal(fresh.code, 1, 'a request its upline may still decide is not for operations');
  assert.match(fresh.stderr, /CONFLICT/);
  await db('topups')
    .where({ id: t.body.id })
    .update({ created_at: db.raw('now() - make_interval(secs => ?)', [stack.config.ops.stuckTopupAfterSeconds + 60]) });
  const r = await ops('topup', 'approve', t.body.id, '--note', 'UTR seen in the bank statement', '--as', supportId);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json<{ status: string }>(r).status, 'completed');
  assert.equal((await balanceOf(dist, d.body.id as string)).balance, 30_000);
  const again = await ops('topup', 'reject', t.body.id, '--note', 'too late', '--as', supportId);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /CONFLICT/);
});

test('verify-ledger, reconciliation and the schedule', async () => {
  const v = await ops('verify-ledger');
  assert.equal(v.code, 0, v.stderr);
  const report = json<{ ok: boolean; accounts: number; transfers: number; violations: unknown[] }>(v);
  assert.equal(report.ok, true);
  assert.ok(report.accounts > 0 && report.transfers > 0);

  const ensured = await ops('schedule', 'ensure');
  assert.equal(ensured.code, 0, ensured.stderr);
  assert.deepEqual(json(ensured), { scheduleId: 'reconciliation-hourly', created: false, intervalSeconds: 3600 });
  const described = json<{ scheduleId: string; taskQueue: string; paused: boolean }>(await ops('schedule', 'describe'));
  assert.equal(described.taskQueue, stack.config.temporal.taskQueue);
  assert.equal(described.paused, false);

  const run = await ops('reconciliation', 'run', '--as', supportId);
  assert.ok(run.code === 0 || run.code === 1, run.stderr);
  const stored = json<{ id: string; ok: boolean }>(run);
  const latest = await ops('reconciliation', 'latest', '--as', supportId);
  assert.equal(json<{ id: string }>(latest).id, stored.id);
  assert.equal(latest.code, stored.ok ? 0 : 1);

  const missing = await ops('stuck');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--as/);
});

test("with WORKER_METRICS_PORT the worker serves Temporal's worker metrics (workflow task failures among them)", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main-worker.ts')], {
    cwd: root,
    env: { ...stack.env, LOG_LEVEL: 'info', WORKER_METRICS_PORT: String(port) } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('worker started')) resolve();
      });
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${out}`)));
    });
    const text = await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      (t) => t.includes('temporal_'),
    );
    assert.match(text, /^# (HELP|TYPE) temporal_/m);
  } finally {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
});
