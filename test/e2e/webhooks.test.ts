import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { listen, type Listening } from '../../dev/simulators/http';
import {
  createWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../../dev/simulators/webhook-receiver';
import type { Db } from '../../src/db/knex';
import { verifySignature } from '../../src/webhooks/signature';
import { ApiClient, adminKey } from '../support/api';
import { testDb } from '../support/db';
import { eventually, fundedRetailer, type Network } from '../support/fixtures';
import { startStack, type TestStack } from '../support/stack';

// Retries come fast and "failing for a day" is 3 s here, so every path runs within a test.
const DISABLE_AFTER_SECONDS = 3;

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let receiver: WebhookReceiver;
let receiverServer: Listening;

before(async () => {
  stack = await startStack({
    env: {
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_MAX_MS: '600',
      WEBHOOK_DISABLE_AFTER_SECONDS: String(DISABLE_AFTER_SECONDS),
      WEBHOOK_TIMEOUT_MS: '2000',
    },
  });
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  receiver = createWebhookReceiver();
  receiverServer = await listen(receiver.app, '127.0.0.1', 0);
});
after(async () => {
  await stack.stop();
  await receiverServer.close();
  await db.destroy();
});

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  status: string;
  secret: string;
}

/** A receiver path of its own for each endpoint, so each test reads only its deliveries. */
async function register(client: ApiClient, events?: string[]): Promise<Endpoint & { path: string }> {
  const path = `/hooks/${randomUUID()}`;
  const r = await client.call<Endpoint>('POST', '/v1/webhook-endpoints', {
    url: `${receiverServer.url}${path}`,
    ...(events ? { events } : {}),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { ...r.body, path };
}

const at = (path: string, keep: (d: ReceivedWebhook) => boolean = () => true) =>
  receiver.received().filter((d) => d.path === path && keep(d));

function waitForDeliveries(path: string, keep: (d: ReceivedWebhook) => boolean, count = 1, timeoutMs = 20_000) {
  return eventually(
    async () => at(path, keep),
    (items) => items.length >= count,
    timeoutMs,
  );
}

/** A fresh subscriber each time: the same recharge twice within minutes is refused as a duplicate. */
async function recharge(n: Network, subscriber = `98${String(randomInt(1e8)).padStart(8, '0')}`): Promise<string> {
  const r = await n.retailer.call<{ id: string; status: string }>(
    'POST',
    '/v1/recharges?waitMs=10000',
    { operator: 'VI', subscriber, amount: 1000 },
    { 'Idempotency-Key': randomUUID() },
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'success');
  return r.body.id;
}

interface Attempt {
  id: string;
  eventId: string;
  type: string;
  attempt: number;
  status: string;
  responseStatus: number | null;
  at: string;
}

async function attemptsOf(client: ApiClient, endpointId: string, query = '') {
  const r = await client.get<{ items: Attempt[]; nextCursor: string | null }>(
    `/v1/webhook-endpoints/${endpointId}/deliveries${query}`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('registration', () => {
  test('returns the secret once, stores it only encrypted, and lists without it', async () => {
    const n = await fundedRetailer(admin, 0);
    const e = await register(n.dist);
    assert.match(e.secret, /^whsec_[A-Za-z0-9_-]{40,}$/);
    assert.equal(e.status, 'active');
    assert.ok(e.events.includes('recharge.succeeded') && e.events.includes('wallet.debited'));
    assert.ok(!e.events.includes('ping'));

    const list = await n.dist.get<{ items: Array<Record<string, unknown>> }>('/v1/webhook-endpoints');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.map((i) => i.id),
      [e.id],
    );
    assert.ok(!JSON.stringify(list.body).includes(e.secret));
    assert.ok(!('secret' in list.body.items[0]!));

    const row = (await db('webhook_endpoints').where({ id: e.id }).first()) as Record<string, unknown>;
    for (const value of Object.values(row)) assert.ok(!String(value).includes(e.secret.slice(6)), 'secret stored');
  });

  test("another user's endpoint is a 404 for every route, and stays untouched", async () => {
    const mine = await fundedRetailer(admin, 0);
    const theirs = await fundedRetailer(admin, 0);
    const e = await register(mine.dist);
    for (const client of [theirs.dist, theirs.retailer, mine.retailer]) {
      assert.equal((await client.get(`/v1/webhook-endpoints/${e.id}/deliveries`)).status, 404);
      assert.equal((await client.call('POST', `/v1/webhook-endpoints/${e.id}/test`)).status, 404);
      assert.equal((await client.call('DELETE', `/v1/webhook-endpoints/${e.id}`)).status, 404);
      const list = await client.get<{ items: unknown[] }>('/v1/webhook-endpoints');
      assert.ok(!JSON.stringify(list.body).includes(e.id));
    }
    const list = await mine.dist.get<{ items: Array<{ id: string; status: string }> }>('/v1/webhook-endpoints');
    assert.deepEqual(list.body.items, [{ ...list.body.items[0], id: e.id, status: 'active' }]);
  });

  test('bad input is a 400 naming the field and registers nothing', async () => {
    const n = await fundedRetailer(admin, 0);
    const cases: Array<[unknown, string]> = [
      [{ url: 'ftp://example.com/x' }, 'body.url'],
      [{ url: 'http://10.0.0.1/x' }, 'body.url'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'body.url'],
      [{ url: 'http://[fe80::1]/x' }, 'body.url'],
      [{ url: 'http://user:pw@127.0.0.1/x' }, 'body.url'],
      [{ url: 'not a url' }, 'body.url'],
      [{}, 'body.url'],
      [{ url: `${receiverServer.url}/hooks/x`, events: ['recharge.exploded'] }, 'body.events.0'],
      [{ url: `${receiverServer.url}/hooks/x`, events: ['ping'] }, 'body.events.0'],
      [{ url: `${receiverServer.url}/hooks/x`, events: [] }, 'body.events'],
    ];
    for (const [body, path] of cases) {
      const r = await n.dist.call<{ error: { code: string; details: { fields: Array<{ path: string }> } } }>(
        'POST',
        '/v1/webhook-endpoints',
        body,
      );
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      assert.ok(
        r.body.error.details.fields.some((f) => f.path === path),
        `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`,
      );
    }
    const list = await n.dist.get<{ items: unknown[] }>('/v1/webhook-endpoints');
    assert.deepEqual(list.body.items, []);
  });

  test('a deleted endpoint is gone (204, then 404) and gets nothing more', async () => {
    const n = await fundedRetailer(admin, 5_000);
    const e = await register(n.dist);
    assert.equal((await n.dist.call('DELETE', `/v1/webhook-endpoints/${e.id}`)).status, 204);
    assert.equal((await n.dist.call('DELETE', `/v1/webhook-endpoints/${e.id}`)).status, 404);
    assert.equal((await n.dist.call('POST', `/v1/webhook-endpoints/${e.id}/test`)).status, 404);
    const list = await n.dist.get<{ items: unknown[] }>('/v1/webhook-endpoints');
    assert.deepEqual(list.body.items, []);
    await recharge(n);
    // A live endpoint registered after it sees the next recharge: by then the deleted one would have too.
    const live = await register(n.dist, ['recharge.succeeded']);
    await recharge(n);
    await waitForDeliveries(live.path, (d) => d.type === 'recharge.succeeded');
    assert.deepEqual(at(e.path), []);
  });
});

describe('deliveries', () => {
  test('a test ping arrives signed, and the deliveries list shows the attempt', async () => {
    const n = await fundedRetailer(admin, 0);
    const e = await register(n.retailer);
    const r = await n.retailer.call<{ eventId: string }>('POST', `/v1/webhook-endpoints/${e.id}/test`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const [got] = await waitForDeliveries(e.path, (d) => d.type === 'ping');
    assert.ok(verifySignature(e.secret, got!.body, got!.signature), got!.signature);
    assert.equal(verifySignature(e.secret.replace(/.$/, '0'), got!.body, got!.signature), false);
    const body = JSON.parse(got!.body) as { id: string; type: string; createdAt: string; data: unknown };
    assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'data', 'id', 'type']);
    assert.equal(body.id, r.body.eventId);
    const attempts = await eventually(
      () => attemptsOf(n.retailer, e.id),
      (p) => p.items.length > 0,
    );
    assert.deepEqual(
      attempts.items.map((a) => [a.eventId, a.type, a.attempt, a.status, a.responseStatus]),
      [[body.id, 'ping', 1, 'delivered', 200]],
    );
  });

  test("recharges below the owner arrive signed; a sibling's never do; types are filtered", async () => {
    const a = await fundedRetailer(admin, 10_000);
    const b = await fundedRetailer(admin, 10_000);
    const distA = await register(a.dist);
    const retailerA = await register(a.retailer, ['recharge.succeeded']);
    const distB = await register(b.dist);

    const rechargeA = await recharge(a);
    const rechargeB = await recharge(b);

    const [succeeded] = await waitForDeliveries(distA.path, (d) => d.type === 'recharge.succeeded');
    const body = JSON.parse(succeeded!.body) as { id: string; data: { id: string; userId: string; status: string } };
    assert.equal(body.data.id, rechargeA);
    assert.equal(body.data.userId, a.retailerId);
    assert.equal(body.data.status, 'success');
    await waitForDeliveries(distA.path, (d) => d.type === 'wallet.debited');
    await waitForDeliveries(retailerA.path, (d) => d.type === 'recharge.succeeded');
    await waitForDeliveries(distB.path, (d) => d.type === 'recharge.succeeded' && d.body.includes(rechargeB));

    for (const [e, secret] of [
      [distA, distA.secret],
      [retailerA, retailerA.secret],
      [distB, distB.secret],
    ] as const) {
      for (const d of at(e.path)) assert.ok(verifySignature(secret, d.body, d.signature), `${e.path}: ${d.body}`);
    }
    // Settle: anything misrouted would have been sent in the same passes as these.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      at(distA.path, (d) => d.body.includes(rechargeB) || d.body.includes(b.retailerId) || d.body.includes(b.distId)),
      [],
    );
    assert.deepEqual(
      at(distB.path, (d) => d.body.includes(rechargeA) || d.body.includes(a.retailerId) || d.body.includes(a.distId)),
      [],
    );
    assert.deepEqual(
      at(retailerA.path).map((d) => d.type),
      ['recharge.succeeded'],
    );
    // The retailer's endpoint sees nothing about its upline.
    assert.deepEqual(
      at(retailerA.path, (d) => d.body.includes(a.distId) && !d.body.includes(a.retailerId)),
      [],
    );
  });

  test('a failed delivery is retried with the same event id until acknowledged', async () => {
    const n = await fundedRetailer(admin, 10_000);
    const e = await register(n.dist, ['recharge.succeeded']);
    receiver.answer(500, e.path);
    const rechargeId = await recharge(n);
    await waitForDeliveries(e.path, () => true, 2);
    receiver.answer(200, e.path);
    await waitForDeliveries(e.path, (d) => d.answered === 200);
    const got = at(e.path);
    assert.ok(got.length >= 3, `${got.length} attempts`);
    const ids = new Set(got.map((d) => (JSON.parse(d.body) as { id: string }).id));
    assert.equal(ids.size, 1);
    assert.equal(new Set(got.map((d) => d.body)).size, 1, 'every attempt sends the same body');
    assert.ok(got.every((d) => d.body.includes(rechargeId) && verifySignature(e.secret, d.body, d.signature)));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(at(e.path, (d) => d.answered === 200).length, 1, 'nothing is sent after the acknowledgement');

    const { items } = await attemptsOf(n.dist, e.id);
    assert.deepEqual(
      items.map((a) => [a.attempt, a.status, a.responseStatus]),
      got.map((d, i) => [i + 1, d.answered === 200 ? 'delivered' : 'pending', d.answered]).reverse(),
    );
    assert.ok(items.every((a) => a.eventId === [...ids][0]));

    // Paging: one attempt a page, newest first, the same attempts in the end.
    const paged: Attempt[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Attempt[]; nextCursor: string | null } = await attemptsOf(
        n.dist,
        e.id,
        `?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.ok(page.items.length <= 1);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, items);
    const bad = await n.dist.get<{ error: { code: string } }>(`/v1/webhook-endpoints/${e.id}/deliveries?cursor=zzz`);
    assert.equal(bad.status, 400);
  });

  test('an endpoint failing for the configured day is disabled, its owner alerted, and sent nothing more', async () => {
    const n = await fundedRetailer(admin, 10_000);
    const e = await register(n.dist, ['recharge.succeeded']);
    receiver.answer(503, e.path);
    await recharge(n);
    const listed = await eventually(
      () =>
        n.dist.get<{ items: Array<{ id: string; status: string; disabledAt: string | null }> }>(
          '/v1/webhook-endpoints',
        ),
      (r) => r.body.items.some((i) => i.id === e.id && i.status === 'disabled'),
      DISABLE_AFTER_SECONDS * 1000 + 15_000,
    );
    assert.ok(listed.body.items.find((i) => i.id === e.id)!.disabledAt);
    const attemptsWhenDisabled = at(e.path).length;
    assert.ok(attemptsWhenDisabled >= 2);
    const { items } = await attemptsOf(n.dist, e.id);
    assert.equal(items[0]!.status, 'failed');

    const owner = await admin.get<{ mobile: string }>(`/v1/users/${n.distId}`);
    const sms = await eventually(
      async () => {
        const res = await fetch(`${stack.sims.urls.sms}/messages?to=${owner.body.mobile}`);
        return ((await res.json()) as { items: Array<{ body: string }> }).items;
      },
      (m) => m.some((x) => x.body.includes(e.id) && /disabled/.test(x.body)),
    );
    assert.equal(sms.filter((x) => x.body.includes(e.id)).length, 1, 'one alert');

    receiver.answer(200, e.path);
    await recharge(n);
    // A second endpoint proves the dispatcher went past the new events.
    const witness = await register(n.dist, ['recharge.succeeded']);
    await recharge(n);
    await waitForDeliveries(witness.path, () => true);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(at(e.path).length, attemptsWhenDisabled);
  });
});
