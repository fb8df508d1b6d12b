import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { ComplianceSummary } from '../../activities/compliance';
import { previousIstMonth } from '../../src/compliance/aml';
import { COMPLIANCE_SCHEDULE_ID, complianceWorkflowType } from '../../src/compliance/schedule';
import { istDate } from '../../src/reports/period';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey } from '../support/api';
import { testDb, uniq } from '../support/db';
import { recordHistory } from '../support/histories';
import { addUser, fund, waitFor } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// The monthly compliance report on the real Temporal dev server, through the real worker: the
// schedule the worker ensures, a run that reads the month's STR and CTR candidates and mails
// compliance through the alert queue. Asserts only about its own user (the database is shared).

const NO_CAP = { none: null, min: null, full: null };
const email = `${uniq('compliance-')}@tijori.test`;
let stack: TestStack;
let temporal: Client;
let admin: ApiClient;
const db = testDb(2);

before(async () => {
  stack = await startStack({
    env: {
      COMPLIANCE_EMAIL: email,
      KYC_CAPS_BY_ROLE: JSON.stringify({ distributor: NO_CAP }),
      STEP_UP_THRESHOLD_PAISE: String(Number.MAX_SAFE_INTEGER),
    },
  });
  temporal = await connectClient(stack.config.temporal);
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await temporal.connection.close();
  await stack.stop();
  await db.destroy();
});

async function mailTo(address: string): Promise<Array<{ subject: string; text: string }>> {
  const res = await fetch(`${stack.sims.urls.mailHttp}/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { items: Array<{ subject: string; text: string }> }).items;
}

test('the schedule: the 1st of each month, this task queue, mailing the configured address', async () => {
  const d = await temporal.schedule.getHandle(COMPLIANCE_SCHEDULE_ID).describe();
  assert.equal(d.action.type, 'startWorkflow');
  if (d.action.type !== 'startWorkflow') return;
  assert.equal(d.action.workflowType, complianceWorkflowType);
  assert.equal(d.action.taskQueue, stack.config.temporal.taskQueue);
  assert.deepEqual(d.action.args, [{ email }]);
  const [calendar] = d.spec.calendars ?? [];
  assert.deepEqual(calendar?.dayOfMonth, [{ start: 1, end: 1, step: 1 }]);
  assert.deepEqual(calendar?.hour, [{ start: 0, end: 0, step: 1 }]);
});

test('a run reports the month and mails compliance once', { timeout: 90_000 }, async () => {
  const dist = await addUser(admin, 'distributor');
  await fund(admin, dist, 50_000_00); // a bank top-up of exactly ₹50,000: STR and CTR "single"
  const month = istDate(new Date()).slice(0, 7);
  const workflowId = uniq('compliance-test-');
  const summary = await temporal.workflow.execute<(i: { month?: string; email: string }) => Promise<ComplianceSummary>>(
    complianceWorkflowType,
    { taskQueue: stack.config.temporal.taskQueue, workflowId, args: [{ month, email }] },
  );
  recordHistory(workflowId, 'compliance-monthly');
  assert.equal(summary.month, month);
  assert.ok(summary.str.items >= 1 && summary.ctr.items >= 1, JSON.stringify(summary));
  const mails = await waitFor(
    () => mailTo(email),
    (m) => m.length >= 1,
    30_000,
  );
  assert.equal(mails.length, 1);
  assert.equal(mails[0]!.subject, summary.subject);
  assert.match(mails[0]!.subject, new RegExp(`^Tijori compliance ${month}: `));
  const [strPart, ctrPart] = mails[0]!.text.split(`CTR candidates, ${month}`);
  for (const part of [strPart!, ctrPart!]) {
    assert.match(part, new RegExp(`- ${dist.id} \\([^)]*\\): single ₹50,000\\.00, 1 transfer\\(s\\)`));
  }
  assert.match(mails[0]!.text, new RegExp(`GET /v1/compliance/str-candidates\\?month=${month}&format=csv`));
});

test('without a month, a run reports the IST month before it started', { timeout: 60_000 }, async () => {
  const address = `${uniq('compliance-')}@tijori.test`;
  const summary = await temporal.workflow.execute<(i: { month?: string; email: string }) => Promise<ComplianceSummary>>(
    complianceWorkflowType,
    { taskQueue: stack.config.temporal.taskQueue, workflowId: uniq('compliance-test-'), args: [{ email: address }] },
  );
  assert.equal(summary.month, previousIstMonth(new Date()));
  const mails = await waitFor(
    () => mailTo(address),
    (m) => m.length >= 1,
    30_000,
  );
  assert.match(mails[0]!.subject, new RegExp(`^Tijori compliance ${summary.month}: `));
});
