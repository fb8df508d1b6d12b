import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { balanceOf, eventually, expectWallet, fundedRetailer, type Network } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { expectError } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

type Json = Record<string, unknown>;
type Rule = { id: string; kind: string; enabled: boolean; threshold: number; window: number | null; action: string };
type Alert = { id: string; userId: string; rule: string; subjectId: string; status: string; action: string };

const SUCCESS = '9812345678';

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let support: ApiClient;
let seeded: Rule[];

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const s = await admin.post('/v1/users', { role: 'support', name: 'Support', mobile: uniqueMobile() }, false);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const k = await admin.post('/v1/api-keys', { userId: s.body.id, name: 'test' }, false);
  support = admin.as(k.body.key as string);
  seeded = (await admin.get<{ items: Rule[] }>('/v1/risk/rules')).body.items;
});
after(async () => {
  const report = await new Ledger(db).verify();
  await stack.stop();
  await db.destroy();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
});

/** Sets a rule for the duration of `fn`, then puts it back as it was seeded. */
async function withRule(id: string, patch: Json, fn: () => Promise<void>): Promise<void> {
  const was = seeded.find((r) => r.id === id)!;
  const set = await admin.call('PUT', `/v1/risk/rules/${id}`, patch);
  assert.equal(set.status, 200, JSON.stringify(set.body));
  try {
    await fn();
  } finally {
    const back = await admin.call('PUT', `/v1/risk/rules/${id}`, {
      enabled: was.enabled,
      threshold: was.threshold,
      action: was.action,
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
  }
}

let amountSeq = 0;
/** A recharge with an amount of its own (the 2-minute duplicate window keys on the amount). */
function recharge(n: Network, amount = 10_000 + 100 * amountSeq++) {
  return n.retailer.call<Json>(
    'POST',
    '/v1/recharges',
    { operator: 'JIO', subscriber: SUCCESS, amount },
    {
      'Idempotency-Key': randomUUID(),
    },
  );
}

/** Accepted: held and on its way (202), or already final (200) when the simulator answered at once. */
function assertAccepted(r: { status: number; body: unknown }, what = 'accepted'): void {
  assert.ok(r.status === 200 || r.status === 202, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function alertsOf(userId: string): Promise<Alert[]> {
  const r = await support.get<{ items: Alert[] }>(`/v1/risk/alerts?userId=${userId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

describe('risk rules: admin only, audited', () => {
  test('admin lists the seeded rules; support and a retailer are 403; a change is audited', async () => {
    const ids = seeded.map((r) => r.id);
    for (const id of [
      'retailer_velocity_minute',
      'retailer_velocity_hour',
      'subscriber_velocity_hour',
      'amount_band_structuring',
      'failed_recharges_number',
      'first_use_amount',
      'dormant_account',
      'max_single_amount_retailer',
      'daily_spend_retailer',
    ]) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(',')}`);
    }
    const minute = seeded.find((r) => r.id === 'retailer_velocity_minute')!;
    assert.deepEqual(
      { kind: minute.kind, window: minute.window, action: minute.action, enabled: minute.enabled },
      { kind: 'retailer_velocity', window: 60, action: 'flag', enabled: true },
    );

    const n = await fundedRetailer(admin, 0);
    expectError(await support.get('/v1/risk/rules'), 403, 'FORBIDDEN');
    expectError(await n.retailer.get('/v1/risk/rules'), 403, 'FORBIDDEN');
    expectError(await support.call('PUT', '/v1/risk/rules/first_use_amount', { enabled: false }), 403, 'FORBIDDEN');
    expectError(await n.dist.call('PUT', '/v1/risk/rules/first_use_amount', { enabled: false }), 403, 'FORBIDDEN');
    expectError(await admin.call('PUT', '/v1/risk/rules/no_such_rule', { enabled: false }), 404, 'NOT_FOUND');
    expectError(await admin.call('PUT', '/v1/risk/rules/first_use_amount', {}), 400, 'VALIDATION_FAILED');
    expectError(
      await admin.call('PUT', '/v1/risk/rules/first_use_amount', { action: 'ban' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await admin.call('PUT', '/v1/risk/rules/first_use_amount', { threshold: -1 }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await admin.call('PUT', '/v1/risk/rules/first_use_amount', { threshold: 1.5 }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await admin.call('PUT', `/v1/risk/rules/daily_spend__${n.retailerId}`, { enabled: true }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await admin.call('PUT', '/v1/risk/rules/daily_spend__usr_nobody', { threshold: 5 }), 404, 'NOT_FOUND');
    const unchanged = (await admin.get<{ items: Rule[] }>('/v1/risk/rules')).body.items;
    assert.deepEqual(
      unchanged.map((r) => [r.id, r.enabled, r.threshold, r.action]),
      seeded.map((r) => [r.id, r.enabled, r.threshold, r.action]),
      'refused changes change nothing',
    );

    await withRule('first_use_amount', { threshold: 123_456, action: 'review' }, async () => {
      const now = (await admin.get<{ items: Rule[] }>('/v1/risk/rules')).body.items.find(
        (r) => r.id === 'first_use_amount',
      )!;
      assert.equal(now.threshold, 123_456);
      assert.equal(now.action, 'review');
    });
    const audited = await db('audit_events').where({ type: 'risk.rule_updated', subject_id: 'first_use_amount' });
    assert.equal(audited.length, 2, 'the change and its undoing');
    assert.equal((audited[0].details as Json & { after: Json }).after.threshold, '123456');
    assert.ok(audited[0].actor_id);
  });
});

describe('block: 422 RISK_REJECTED naming the rule, nothing held or moved', () => {
  test("a retailer's own maximum refuses a recharge above it; the recharge names the rule", async () => {
    const n = await fundedRetailer(admin, 100_000);
    const rule = `max_single_amount__${n.retailerId}`;
    const made = await admin.call<Rule>('PUT', `/v1/risk/rules/${rule}`, { threshold: 5_000 });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.deepEqual([made.body.kind, made.body.action, made.body.enabled], ['max_single_amount', 'block', true]);

    const r = await recharge(n, 5_100);
    expectError(r, 422, 'RISK_REJECTED');
    assert.equal(((r.body.error as Json).details as Json).rule, rule);
    await expectWallet(n, 100_000);
    const row = await db('recharges').where({ user_id: n.retailerId }).first();
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_code, 'RISK_REJECTED');
    assert.match(row.failure_reason as string, new RegExp(rule));
    assert.equal((await db('ledger_transfers').where({ reference: `recharge:${row.id}` })).length, 0, 'nothing held');
    assert.deepEqual(await alertsOf(n.retailerId), [], 'a block leaves no alert');

    const ok = await recharge(n, 5_000);
    assertAccepted(ok, 'at the maximum is allowed');
    // The user's own rule replaced its role's: disabled, the user is exempt from both.
    assert.equal((await admin.call('PUT', `/v1/risk/rules/${rule}`, { enabled: false })).status, 200);
    assertAccepted(await recharge(n, 9_000));
  });

  test('a velocity rule set to block refuses the recharge past it', async () => {
    const n = await fundedRetailer(admin, 100_000);
    await withRule('retailer_velocity_minute', { threshold: 1, action: 'block' }, async () => {
      assertAccepted(await recharge(n));
      const second = await recharge(n);
      expectError(second, 422, 'RISK_REJECTED');
      assert.equal(((second.body.error as Json).details as Json).rule, 'retailer_velocity_minute');
    });
    await eventually(
      () => balanceOf(n.retailer, n.retailerId),
      (w) => w.held === 0,
    );
  });

  test('a transfer down, a pull-back and a top-up request above the maximum are refused and move nothing', async () => {
    const n = await fundedRetailer(admin, 50_000);
    const distRule = `max_single_amount__${n.distId}`;
    const retRule = `max_single_amount__${n.retailerId}`;
    assert.equal((await admin.call('PUT', `/v1/risk/rules/${distRule}`, { threshold: 1_000 })).status, 200);
    assert.equal((await admin.call('PUT', `/v1/risk/rules/${retRule}`, { threshold: 1_000 })).status, 200);
    const distBefore = await balanceOf(n.dist, n.distId);

    const down = await n.dist.post('/v1/transfers', { fromUserId: n.distId, toUserId: n.retailerId, amount: 1_001 });
    expectError(down, 422, 'RISK_REJECTED');
    assert.equal(((down.body.error as Json).details as Json).rule, distRule);
    const up = await n.dist.post('/v1/transfers', { fromUserId: n.retailerId, toUserId: n.distId, amount: 1_001 });
    expectError(up, 422, 'RISK_REJECTED');
    assert.equal(((up.body.error as Json).details as Json).rule, retRule, 'the wallet pulled from is screened');
    const topup = await n.retailer.post('/v1/topups', {
      method: 'bank_transfer',
      amount: 1_001,
      utr: `UTR${Date.now()}`,
    });
    expectError(topup, 422, 'RISK_REJECTED');
    assert.equal(((topup.body.error as Json).details as Json).rule, retRule);
    assert.equal((await db('topups').where({ user_id: n.retailerId })).length, 0, 'no top-up recorded');

    assert.deepEqual(await balanceOf(n.dist, n.distId), distBefore);
    await expectWallet(n, 50_000);
    const atMax = await n.dist.post('/v1/transfers', { fromUserId: n.retailerId, toUserId: n.distId, amount: 1_000 });
    assert.equal(atMax.status, 201, JSON.stringify(atMax.body));
    await expectWallet(n, 49_000);
  });

  test('a top-up approval above the requester’s maximum is refused, the request stays open', async () => {
    const n = await fundedRetailer(admin, 0);
    const t = await n.retailer.post('/v1/topups', { method: 'bank_transfer', amount: 2_000, utr: `UTR${Date.now()}9` });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const rule = `max_single_amount__${n.retailerId}`;
    assert.equal((await admin.call('PUT', `/v1/risk/rules/${rule}`, { threshold: 1_999 })).status, 200);
    const refused = await n.dist.post(`/v1/topups/${t.body.id as string}/approve`, {}, false);
    expectError(refused, 422, 'RISK_REJECTED');
    assert.equal(((refused.body.error as Json).details as Json).rule, rule);
    assert.equal((await n.retailer.get(`/v1/topups/${t.body.id as string}`)).body.status, 'pending_approval');
    await expectWallet(n, 0);
  });
});

describe('review: the recharge waits in manual_review with its hold until support resolves it', () => {
  test('approved by support, it goes on to the provider; refused, the hold is released', async () => {
    await withRule('first_use_amount', { threshold: 0, action: 'review' }, async () => {
      const a = await fundedRetailer(admin, 100_000);
      const r = await recharge(a, 10_000);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.status, 'manual_review');
      await expectWallet(a, 100_000, 10_000);
      const [alert] = await alertsOf(a.retailerId);
      assert.deepEqual(
        [alert?.rule, alert?.action, alert?.status, alert?.subjectId],
        ['first_use_amount', 'review', 'open', r.body.id],
      );
      const stuck = await support.get<{
        items: Array<{ id: string; reasons: Array<{ code: string; detail: string }> }>;
      }>('/v1/ops/stuck');
      const item = stuck.body.items.find((i) => i.id === r.body.id);
      assert.equal(item?.reasons[0]?.code, 'manual_review', JSON.stringify(item));
      assert.match(item.reasons[0].detail, /risk review/);
      // Nothing reaches a provider while it waits.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await a.retailer.get(`/v1/recharges/${r.body.id as string}`)).body.status, 'manual_review');
      expectError(
        await a.retailer.post(`/v1/ops/recharges/${r.body.id as string}/resolve`, { outcome: 'success', note: 'me' }),
        403,
        'FORBIDDEN',
      );

      const approved = await support.post(`/v1/ops/recharges/${r.body.id as string}/resolve`, {
        outcome: 'success',
        note: 'called the retailer: genuine',
      });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      const done = await eventually(
        async () => (await a.retailer.get(`/v1/recharges/${r.body.id as string}`)).body,
        (x) => x.status === 'success',
      );
      assert.ok(done.provider, 'sent to a provider after the approval');
      await expectWallet(a, 100_000 - 10_000 + 300);
      recordHistory(r.body.workflowId as string, 'recharge-risk-review-approved');

      const b = await fundedRetailer(admin, 100_000);
      const held = await recharge(b, 10_100);
      assert.equal(held.body.status, 'manual_review');
      await expectWallet(b, 100_000, 10_100);
      const refused = await support.post(`/v1/ops/recharges/${held.body.id as string}/resolve`, {
        outcome: 'failed',
        note: 'not the retailer',
      });
      assert.equal(refused.status, 200, JSON.stringify(refused.body));
      await eventually(
        async () => (await b.retailer.get(`/v1/recharges/${held.body.id as string}`)).body,
        (x) => x.status === 'failed',
      );
      await expectWallet(b, 100_000);
    });
  });
});

describe('flag: allowed, and an alert support resolves', () => {
  test('the recharge succeeds; the alert is listed, resolved once with a note, counted and shown in ops', async () => {
    await withRule('first_use_amount', { threshold: 0, action: 'flag' }, async () => {
      const n = await fundedRetailer(admin, 100_000);
      const r = await n.retailer.call<Json>(
        'POST',
        '/v1/recharges?waitMs=15000',
        { operator: 'JIO', subscriber: SUCCESS, amount: 10_000 },
        { 'Idempotency-Key': randomUUID() },
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'success');
      const [alert] = await alertsOf(n.retailerId);
      assert.deepEqual([alert?.rule, alert?.action, alert?.status], ['first_use_amount', 'flag', 'open']);

      const open = await admin.get<{ items: Alert[] }>('/v1/risk/alerts?status=open&limit=200');
      assert.ok(open.body.items.some((x) => x.id === alert!.id));
      expectError(await n.retailer.get('/v1/risk/alerts'), 403, 'FORBIDDEN');
      expectError(await admin.get('/v1/risk/alerts?status=closed'), 400, 'VALIDATION_FAILED');
      const stuck = await support.get<{ riskAlerts: { open: number } }>('/v1/ops/stuck');
      assert.ok(stuck.body.riskAlerts.open >= 1, JSON.stringify(stuck.body.riskAlerts));
      const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
      assert.match(metrics, /tijori_risk_alerts\{rule="first_use_amount",action="flag",status="open"\} [1-9]/);

      expectError(await n.retailer.post(`/v1/risk/alerts/${alert!.id}/resolve`, { note: 'x' }), 403, 'FORBIDDEN');
      expectError(await support.post(`/v1/risk/alerts/${alert!.id}/resolve`, {}), 400, 'VALIDATION_FAILED');
      expectError(
        await support.post(`/v1/risk/alerts/${alert!.id}/resolve`, { note: '   ' }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await support.post('/v1/risk/alerts/ral_nothing/resolve', { note: 'x' }), 404, 'NOT_FOUND');
      const resolved = await support.post<Alert & { note: string }>(`/v1/risk/alerts/${alert!.id}/resolve`, {
        note: 'known shop',
      });
      assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
      assert.deepEqual([resolved.body.status, resolved.body.note], ['resolved', 'known shop']);
      expectError(await admin.post(`/v1/risk/alerts/${alert!.id}/resolve`, { note: 'again' }), 409, 'CONFLICT');
      const closed = await support.get<{ items: Alert[] }>('/v1/risk/alerts?status=resolved&limit=200');
      assert.ok(closed.body.items.some((x) => x.id === alert!.id));
      assert.ok(await db('audit_events').where({ type: 'risk.alert_resolved', subject_id: n.retailerId }).first());
    });
  });
});

describe('three alerts on one user within 24 h', () => {
  test('ask for re-KYC through the KYC workflow and stop its spending', async () => {
    const n = await fundedRetailer(admin, 100_000);
    await withRule('retailer_velocity_minute', { threshold: 0, action: 'flag' }, async () => {
      for (let i = 0; i < 3; i++) {
        const r = await recharge(n);
        assertAccepted(r, `flagged recharge ${i + 1} goes through`);
      }
    });
    const alerts = await alertsOf(n.retailerId);
    assert.equal(alerts.length, 3);
    const kyc = await admin.get(`/v1/kyc/${n.retailerId}`);
    assert.equal(kyc.body.reKycRequired, true, 'spending stops with the third alert');
    const fourth = await recharge(n);
    expectError(fourth, 422, 'KYC_REQUIRED');
    const marked = await db('audit_events').where({ subject_id: n.retailerId, type: 'kyc.re_kyc_required' });
    assert.ok(marked.length >= 1);
    assert.match((marked[0].details as Json).reason as string, /risk: 3 alerts/);
    // The KYC workflow has the trigger: its state (not only the cached row) requires re-KYC.
    const temporal = await connectClient(stack.config.temporal);
    try {
      const wf = await temporal.workflow.getHandle(`kyc-${n.retailerId}`).describe();
      assert.equal(wf.status.name, 'RUNNING');
    } finally {
      await temporal.connection.close();
    }
    await eventually(
      async () => (await admin.get(`/v1/kyc/${n.retailerId}`)).body,
      (k) => k.status === 're_kyc_required',
    );
    assert.equal((await db('risk_alerts').where({ user_id: n.retailerId, triggered_re_kyc: true })).length, 1);
  });
});
