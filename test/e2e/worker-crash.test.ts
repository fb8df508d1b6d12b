import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer, startRecharge, type Network } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';
import { killProcess, startWorkerProcess } from '../support/worker-process';

// The worker runs as a real separate process here, and is killed with SIGKILL at the worst
// moments: right after the wallet hold, and right after the provider received the recharge.
// The provider answers slowly (latency) so the kill lands while the submission is in flight.

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let worker: ChildProcess | undefined;

before(async () => {
  stack = await startStack({
    noWorker: true,
    env: { SIM_OPERATOR_LATENCY_MS: '2500', RECHARGE_POLL_SCHEDULE_SECONDS: '1' },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  worker = await startWorkerProcess(stack.env);
});

after(async () => {
  if (worker) await killProcess(worker);
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

async function submissions(clientRef: string): Promise<number> {
  const res = await fetch(`${stack.sims.urls.operator}/control/transactions/${clientRef}`);
  return res.status === 404 ? 0 : ((await res.json()) as { submissions: number }).submissions;
}

/** SIGKILLs the worker, starts another, and waits for the recharge's final status. */
async function killWorkerAndAwaitOutcome(n: Network, id: string): Promise<string> {
  await killProcess(worker!);
  worker = await startWorkerProcess(stack.env);
  const done = await eventually(
    async () => (await n.retailer.get<{ status: string }>(`/v1/recharges/${id}`)).body,
    (b) => b.status === 'success' || b.status === 'failed',
    60_000,
  );
  return done.status;
}

for (const moment of ['after the hold', 'after the provider submission'] as const) {
  test(`a worker killed ${moment} ends with exactly one correct outcome`, async () => {
    const n = await fundedRetailer(admin, 100_000);
    const { id } = await startRecharge(n.retailer, { operator: 'AIRTEL', subscriber: '9867890123', amount: 10_000 });
    if (moment === 'after the hold') {
      await eventually(
        () => balanceOf(n.retailer, n.retailerId),
        (w) => w.held === 10_000,
      );
    } else {
      await eventually(
        () => submissions(id),
        (s) => s >= 1,
      );
    }
    assert.equal(await killWorkerAndAwaitOutcome(n, id), 'success');
    await expectWallet(n, 90_300);
    assert.equal(await submissions(id), 1, 'the provider got the recharge exactly once');
  });
}

test('a recharge the provider accepted and then failed, learnt after a worker kill, is not sent to a second provider', async () => {
  const n = await fundedRetailer(admin, 100_000);
  // 9000000003: the provider answers PENDING, then fails it for reasons of its own.
  const { id } = await startRecharge(n.retailer, { operator: 'AIRTEL', subscriber: '9000000003', amount: 10_000 });
  await eventually(
    () => submissions(id),
    (s) => s >= 1,
  );
  assert.equal(await killWorkerAndAwaitOutcome(n, id), 'failed');
  await expectWallet(n, 100_000);
  const res = await fetch(`${stack.sims.urls.operator}/control/transactions/${id}`);
  const attempts = ((await res.json()) as { attempts: Array<{ provider: string; submissions: number }> }).attempts;
  assert.deepEqual(
    attempts.filter((a) => a.submissions > 0).map((a) => a.provider),
    ['alpha'],
    'only the provider that accepted it ever got it',
  );
});
