import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from '../../src/db/knex';
import { createLogger } from '../../src/logger';
import { Ledger } from '../../src/ledger';
import { startWorker, type RunningWorker } from '../../src/run/worker';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer, startRecharge } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// A recharge whose settlement activity is broken on purpose fails its workflow with the money still
// held; support finds it in the stuck list, the fix is deployed (a worker with the real activity),
// and a retry resets the workflow so it settles, to the paisa.

type StuckItem = {
  id: string;
  kind: string;
  heldAmount: number;
  ageSeconds: number;
  reasons: Array<{ code: string; detail: string }>;
  workflowId: string;
  workflowStatus: string | null;
  temporalUrl: string;
};

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let support: ApiClient;
let supportId: string;
let worker: RunningWorker | undefined;
const log = createLogger(process.env.LOG_LEVEL ?? 'silent');

before(async () => {
  stack = await startStack({ noWorker: true });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const s = await admin.post('/v1/users', { role: 'support', name: 'Support', mobile: uniqueMobile() }, false);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  supportId = s.body.id as string;
  const k = await admin.post('/v1/api-keys', { userId: supportId, name: 'support' }, false);
  support = admin.as(k.body.key as string);
});

after(async () => {
  await worker?.stop();
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

test('a broken activity strands a recharge; it is listed as stuck, and after the fix a retry settles it', async () => {
  worker = await startWorker(stack.config, log, {
    activityOverrides: {
      captureRecharge: () => {
        throw ApplicationFailure.nonRetryable('settlement broken on purpose', 'BROKEN_ON_PURPOSE');
      },
    },
  });
  const n = await fundedRetailer(admin, 100_000);
  const { id, workflowId } = await startRecharge(n.retailer, {
    operator: 'JIO',
    subscriber: '9845678901',
    amount: 10_000,
  });

  const stuck = await eventually(
    async () => (await support.get<{ items: StuckItem[] }>('/v1/ops/stuck')).body.items.find((i) => i.id === id),
    (item) => item?.reasons.some((x) => x.code === 'workflow_closed') ?? false,
    30_000,
  );
  assert.equal(stuck!.kind, 'recharge');
  assert.equal(stuck!.heldAmount, 10_000, 'the money is still held');
  assert.equal(stuck!.workflowId, workflowId);
  assert.equal(stuck!.workflowStatus, 'FAILED');
  assert.match(stuck!.reasons.find((x) => x.code === 'workflow_closed')!.detail, /settlement broken on purpose/);
  assert.equal(
    stuck!.temporalUrl,
    `${stack.config.temporal.uiUrl}/namespaces/${stack.config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`,
  );
  assert.ok(stuck!.ageSeconds >= 0);
  await expectWallet(n, 100_000, 10_000);

  const shown = await support.get<{ transfers: Array<{ id: string; type: string }>; workflow: { status: string } }>(
    `/v1/ops/recharges/${id}`,
  );
  assert.equal(shown.status, 200, JSON.stringify(shown.body));
  assert.deepEqual(
    shown.body.transfers.map((t) => [t.id, t.type]),
    [[`${id}:hold`, 'pending']],
  );
  assert.equal(shown.body.workflow.status, 'FAILED');

  // The reconciliation sees the same thing from the money side: a hold whose workflow has ended.
  const rec = await support.post<{ mismatches: Array<{ code: string; transferId?: string }> }>(
    '/v1/ops/reconciliation/run',
    {},
    false,
  );
  assert.equal(rec.status, 200, JSON.stringify(rec.body));
  assert.equal(rec.body.mismatches.find((m) => m.transferId === `${id}:hold`)?.code, 'hold_of_closed_workflow');

  // Only support and admins see or act on the stuck list.
  assert.equal((await n.retailer.get('/v1/ops/stuck')).status, 403);
  assert.equal((await n.retailer.post(`/v1/ops/workflows/${workflowId}/retry`, { reason: 'x' })).status, 403);
  assert.equal((await support.post(`/v1/ops/workflows/${workflowId}/retry`, {})).status, 400, 'a reason is required');

  // The fix is deployed: the broken worker goes, one with the real activity comes.
  await worker.stop();
  worker = await startWorker(stack.config, log);

  const retried = await support.post<{
    runId: string;
    previousRunId: string;
    previousStatus: string;
    resetEventId: number;
  }>(`/v1/ops/workflows/${workflowId}/retry`, { reason: 'settlement fixed in the new release' });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.previousStatus, 'FAILED');
  assert.notEqual(retried.body.runId, retried.body.previousRunId);

  const done = await eventually(
    async () => (await n.retailer.get<{ status: string; commission: number }>(`/v1/recharges/${id}`)).body,
    (b) => b.status === 'success',
    30_000,
  );
  assert.equal(done.commission, 300);
  await expectWallet(n, 90_300);
  assert.equal((await balanceOf(n.dist, n.distId)).balance, 50, "the distributor's commission, once");

  // Recorded: who, when, why.
  const event = (await db('audit_events').where({ subject_id: workflowId, type: 'ops.workflow_retried' }).first()) as
    { actor_id: string; at: Date; details: Record<string, unknown> } | undefined;
  assert.ok(event, 'the retry is in the audit trail');
  assert.equal(event.actor_id, supportId);
  assert.equal(event.details.note, 'settlement fixed in the new release');
  assert.equal(event.details.via, 'api');
  assert.ok(event.at);

  // No longer stuck, and a second retry has nothing to do.
  const after = await support.get<{ items: StuckItem[] }>('/v1/ops/stuck');
  assert.equal(
    after.body.items.find((i) => i.id === id),
    undefined,
  );
  const again = await support.post(`/v1/ops/workflows/${workflowId}/retry`, { reason: 'double click' });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.equal((await support.post('/v1/ops/workflows/nope-unknown/retry', { reason: 'x' })).status, 404);
});

test('a batch retry by visibility query resets what matches and reports each workflow', async () => {
  await worker?.stop();
  worker = await startWorker(stack.config, log, {
    activityOverrides: {
      releaseRechargeHold: () => {
        throw ApplicationFailure.nonRetryable('refund broken on purpose', 'BROKEN_ON_PURPOSE');
      },
    },
  });
  const n = await fundedRetailer(admin, 100_000);
  const ids: string[] = [];
  for (const subscriber of ['9000000001', '9000000001']) {
    ids.push((await startRecharge(n.retailer, { operator: 'JIO', subscriber, amount: ids.length ? 2_000 : 1_000 })).id);
  }
  await eventually(
    async () => (await balanceOf(n.retailer, n.retailerId)).held,
    (held) => held === 3_000,
  );
  const query = `TijoriUserId = '${n.retailerId}' AND WorkflowType = 'rechargeWorkflow' AND ExecutionStatus = 'Failed'`;
  const dry = await eventually(
    async () =>
      (
        await support.post<{ items: Array<{ outcome: string }> }>('/v1/ops/workflows/retry', {
          query,
          reason: 'dry',
          dryRun: true,
        })
      ).body,
    (b) => b.items?.filter((i) => i.outcome === 'would_reset').length === 2,
    30_000,
  );
  assert.equal(dry.items.length, 2);

  await worker.stop();
  worker = await startWorker(stack.config, log);
  const batch = await support.post<{ reset: number; items: Array<{ outcome: string }> }>('/v1/ops/workflows/retry', {
    query,
    reason: 'refunds fixed',
  });
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  assert.equal(batch.body.reset, 2, JSON.stringify(batch.body));
  for (const id of ids) {
    await eventually(
      async () => (await n.retailer.get<{ status: string }>(`/v1/recharges/${id}`)).body,
      (b) => b.status === 'failed',
      30_000,
    );
  }
  await expectWallet(n, 100_000);
  const bad = await support.post('/v1/ops/workflows/retry', { query: 'this is not ( a query', reason: 'x' });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
});

test('a failing activity of a running workflow is listed, and a retry runs it again at once', async () => {
  await worker?.stop();
  worker = await startWorker(stack.config, log, {
    activityOverrides: {
      submitRecharge: () => {
        throw new Error('provider adapter broken on purpose');
      },
    },
  });
  const n = await fundedRetailer(admin, 100_000);
  const recharge = await startRecharge(n.retailer, { operator: 'AIRTEL', subscriber: '9856789012', amount: 5_000 });
  const item = await eventually(
    async () =>
      (await support.get<{ items: StuckItem[] }>('/v1/ops/stuck')).body.items.find((i) => i.id === recharge.id),
    (i) => i?.reasons.some((x) => x.code === 'activity_failing') ?? false,
    30_000,
  );
  assert.equal(item!.workflowStatus, 'RUNNING');
  assert.match(item!.reasons.find((x) => x.code === 'activity_failing')!.detail, /submitRecharge.*broken on purpose/);

  await worker.stop();
  worker = await startWorker(stack.config, log);
  const retried = await support.post<{ previousStatus: string }>(`/v1/ops/workflows/${recharge.workflowId}/retry`, {
    reason: 'adapter fixed',
  });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.previousStatus, 'RUNNING');
  await eventually(
    async () => (await n.retailer.get<{ status: string }>(`/v1/recharges/${recharge.id}`)).body,
    (b) => b.status === 'success',
    30_000,
  );
  assert.equal((await balanceOf(n.retailer, n.retailerId)).balance, 95_150);
});

test('a workflow task failing on a bug is listed; after the fix a retry runs the workflow', async () => {
  await worker?.stop();
  worker = undefined;
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '..', 'support', 'broken-workflows.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const connection = await NativeConnection.connect({ address: stack.config.temporal.address! });
  const broken = await Worker.create({
    connection,
    namespace: stack.config.temporal.namespace,
    taskQueue: stack.config.temporal.taskQueue,
    workflowBundle: bundle,
  });
  const running = broken.run();
  try {
    const d = await admin.post('/v1/users', { role: 'distributor', name: 'Dist', mobile: uniqueMobile() }, false);
    const k = await admin.post('/v1/api-keys', { userId: d.body.id as string, name: 'test' }, false);
    const dist = admin.as(k.body.key as string);
    const t = await dist.post<{ id: string; workflowId: string }>('/v1/topups', {
      method: 'bank_transfer',
      amount: 20_000,
      utr: `UTR${Date.now()}`,
    });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const item = await eventually(
      async () =>
        (await support.get<{ items: StuckItem[] }>('/v1/ops/stuck')).body.items.find((i) => i.id === t.body.id),
      (i) => i?.reasons.some((x) => x.code === 'workflow_task_failing') ?? false,
      30_000,
    );
    assert.equal(item!.kind, 'topup');

    broken.shutdown();
    await running;
    worker = await startWorker(stack.config, log);
    const retried = await support.post(`/v1/ops/workflows/${t.body.workflowId}/retry`, { reason: 'workflow fixed' });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    // The real workflow now waits for a decision; support expires the request, with a note, audited.
    assert.equal((await support.post(`/v1/ops/topups/${t.body.id}/expire`, {})).status, 400);
    assert.equal((await dist.post(`/v1/ops/topups/${t.body.id}/expire`, { note: 'mine' })).status, 403);
    const expired = await eventually(
      async () => support.post<{ status: string }>(`/v1/ops/topups/${t.body.id}/expire`, { note: 'customer withdrew' }),
      (res) => res.status === 200,
      30_000,
    );
    assert.equal(expired.body.status, 'expired');
    const audit = await db('audit_events').where({ subject_id: t.body.id, type: 'ops.topup_expired' }).first();
    assert.ok(audit, 'the expiry is in the audit trail');
  } finally {
    if (broken.getState() === 'RUNNING') broken.shutdown();
    await running.catch(() => undefined);
    await connection.close();
  }
});
