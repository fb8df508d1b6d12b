import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger, providerSettlementAccount, systemAccounts, walletAccountId } from '../../src/ledger';
import { recordHistory } from '../support/histories';
import { RECONCILIATION_SCHEDULE_ID } from '../../src/ops/reconciliation';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb, uniq } from '../support/db';
import { eventually, fundedRetailer } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// Mismatches are planted straight into the ledger (a hold no recharge owns, a settlement no
// recharge explains); the reconciliation must name each one, alert, and stop naming it once undone.

type Mismatch = { check: string; code: string; message: string; transferId?: string; provider?: string };
type Run = {
  id: string;
  workflowId: string;
  ok: boolean;
  trigger: string;
  mismatches: Mismatch[];
  summary: Record<string, unknown>;
};

let stack: TestStack;
let db: Db;
let ledger: Ledger;
let admin: ApiClient;
let support: ApiClient;

before(async () => {
  stack = await startStack();
  db = testDb();
  ledger = new Ledger(db);
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const s = await admin.post('/v1/users', { role: 'support', name: 'Support', mobile: uniqueMobile() }, false);
  const k = await admin.post('/v1/api-keys', { userId: s.body.id as string, name: 'support' }, false);
  support = admin.as(k.body.key as string);
});

after(async () => {
  await ledger.close();
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

async function reconcile(): Promise<Run> {
  const r = await support.post<Run>('/v1/ops/reconciliation/run', {}, false);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function metric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${stack.api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

test('a hold that no live recharge owns is found, alerted, listed, and gone once released', async () => {
  const n = await fundedRetailer(admin, 50_000);
  const planted = `rch_${uniq('planted')}`;
  const holdId = `${planted}:hold`;
  await ledger.createTransfer({
    id: holdId,
    pending: true,
    debitAccountId: walletAccountId(n.retailerId),
    creditAccountId: 'system:recharge_clearing',
    amount: 1_234n,
    kind: 'recharge_hold',
    reference: `recharge:${planted}`,
  });

  const run = await reconcile();
  assert.equal(run.ok, false);
  assert.equal(run.trigger, 'manual');
  const found = run.mismatches.find((m) => m.transferId === holdId);
  assert.ok(found, JSON.stringify(run.mismatches.slice(0, 5)));
  assert.equal(found.check, 'holds');
  assert.equal(found.code, 'hold_without_owner');

  // Stored and readable, shown on the stuck list, in the metrics, and mailed to operations.
  const latest = await support.get<Run>('/v1/ops/reconciliation/latest');
  assert.equal(latest.body.id, run.id);
  const stuck = await support.get<{ reconciliation: Run | null }>('/v1/ops/stuck');
  assert.equal(stuck.body.reconciliation?.id, run.id);
  assert.equal(await metric('tijori_reconciliation_ok'), 0);
  assert.ok((await metric('tijori_reconciliation_mismatches'))! >= 1);
  const mail = await eventually(
    async () =>
      (
        (await (
          await fetch(`${stack.sims.urls.mailHttp}/messages?to=${stack.config.notify.opsAlertEmail}`)
        ).json()) as {
          items: Array<{ subject: string; text: string }>;
        }
      ).items,
    (items) => items.some((m) => m.text?.includes(holdId)),
  );
  assert.match(mail[0]!.subject, /reconciliation failed/);

  // Released (voided): the next run no longer names it.
  await ledger.createTransfer({ id: `${planted}:release`, void: true, pendingId: holdId, kind: 'recharge_release' });
  const again = await reconcile();
  assert.equal(
    again.mismatches.find((m) => m.transferId === holdId),
    undefined,
  );
});

test("a provider's settlement account that disagrees with its confirmed recharges is a mismatch", async () => {
  const provider = 'alpha';
  const plantedId = uniq('planted-settle');
  const before = await reconcile();
  assert.equal(
    before.mismatches.find((m) => m.provider === provider),
    undefined,
    'alpha settles exactly its successful recharges before the plant',
  );
  await ledger.ensureSystemAccounts([provider]);
  await ledger.createTransfer({
    id: plantedId,
    debitAccountId: systemAccounts.platformFloat,
    creditAccountId: providerSettlementAccount(provider),
    amount: 7n,
    kind: 'test_planted',
  });
  try {
    const run = await reconcile();
    const found = run.mismatches.find((m) => m.check === 'settlements' && m.provider === provider);
    assert.ok(found, JSON.stringify(run.mismatches.slice(0, 5)));
    assert.match(found.message, /ledger 7 more/);
  } finally {
    await ledger.createTransfer({
      id: `${plantedId}:reversal`,
      debitAccountId: providerSettlementAccount(provider),
      creditAccountId: systemAccounts.platformFloat,
      amount: 7n,
      kind: 'test_planted_reversal',
      reversalOf: plantedId,
    });
  }
  const clean = await reconcile();
  recordHistory(clean.workflowId, 'reconciliation-provider-balances');
  assert.equal(
    clean.mismatches.find((m) => m.provider === provider),
    undefined,
  );
});

test('the schedule exists at the configured interval, on this worker, and a triggered run is recorded', async () => {
  const temporal = await connectClient(stack.config.temporal);
  try {
    const handle = temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID);
    const d = await handle.describe();
    assert.equal(d.action.type, 'startWorkflow');
    assert.equal(d.action.type === 'startWorkflow' && d.action.taskQueue, stack.config.temporal.taskQueue);
    assert.deepEqual(
      d.spec.intervals?.map((i) => i.every),
      [3_600_000],
    );
    const before = (await support.get<Run>('/v1/ops/reconciliation/latest')).body.id;
    await handle.trigger();
    const run = await eventually(
      async () => (await support.get<Run>('/v1/ops/reconciliation/latest')).body,
      (r) => r.id !== before,
      60_000,
    );
    assert.equal(run.trigger, 'schedule');
  } finally {
    await temporal.connection.close();
  }
});

test('ledger verification and the operations metrics', async () => {
  const v = await support.get<{
    ok: boolean;
    checkedAt: string;
    accounts: number;
    transfers: number;
    violations: unknown[];
  }>('/v1/ops/ledger/verify');
  assert.equal(v.status, 200);
  assert.equal(v.body.ok, true, JSON.stringify(v.body.violations));
  assert.ok(v.body.accounts > 0 && v.body.transfers > 0);
  assert.ok(v.body.checkedAt);
  const n = await fundedRetailer(admin, 1_000);
  assert.equal((await n.retailer.get('/v1/ops/ledger/verify')).status, 403);

  const text = await (await fetch(`${stack.api.url}/metrics`)).text();
  for (const name of [
    'tijori_recharges_open',
    'tijori_provider_circuit_state',
    'tijori_holds_outstanding',
    'tijori_holds_outstanding_paise',
    'tijori_reconciliation_ok',
    'tijori_provider_callbacks_total',
  ]) {
    assert.ok(text.includes(`# TYPE ${name} `), `${name} is exported`);
  }
  assert.match(text, /tijori_provider_circuit_state\{provider="alpha",state="closed"\} 1/);
});
