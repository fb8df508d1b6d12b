import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { listen, type Listening } from '../../../dev/simulators/http';
import { createWebhookReceiver, type WebhookReceiver } from '../../../dev/simulators/webhook-receiver';
import type { Db } from '../../../src/db/knex';
import type { EventType, MoneyEvent } from '../../../src/events/types';
import { createLogger } from '../../../src/logger';
import { PiiVault } from '../../../src/security/pii';
import type { Caller } from '../../../src/users/types';
import { WebhookConsumer, type WebhookSettings } from '../../../src/webhooks/consumer';
import { WebhookService } from '../../../src/webhooks/service';
import { verifySignature } from '../../../src/webhooks/signature';
import { testDb, uniq } from '../../support/db';

const policy = { production: false };
const vault = new PiiVault({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1', lookupKey: randomBytes(32) });
const settings: WebhookSettings = {
  timeoutMs: 2000,
  retryBaseMs: 100,
  retryMaxMs: 200,
  disableAfterSeconds: 3600,
  giveUpAfterSeconds: 3600,
};
const silent = createLogger('silent');
const noSms = { send: async () => ({ sid: 'SM0' }) };
const noEmail = { send: async () => ({ messageId: 'm0' }), close: () => undefined };

let db: Db;
let receiver: WebhookReceiver;
let server: Listening;
let service: WebhookService;
const consumer = () => new WebhookConsumer({ db, vault, policy, settings, sms: noSms, email: noEmail, log: silent });

before(async () => {
  db = testDb();
  receiver = createWebhookReceiver();
  server = await listen(receiver.app, '127.0.0.1', 0);
  service = new WebhookService({ db, vault, policy });
});
after(async () => {
  await server.close();
  await db.destroy();
});

async function user(role: Caller['role'], parent?: Caller): Promise<Caller> {
  const id = uniq('usr_');
  const path = parent ? `${parent.path}/${id}` : id;
  await db('users').insert({
    id,
    role,
    name: id,
    mobile: `6${String(randomInt(1e9)).padStart(9, '0')}`,
    parent_id: parent?.id ?? null,
    path,
  });
  return { id, role, path, status: 'active', parentId: parent?.id ?? null };
}

async function endpoint(owner: Caller, events?: Array<Exclude<EventType, 'ping'>>) {
  const path = `/hooks/${uniq()}`;
  const e = await service.create(owner, { url: `${server.url}${path}`, events });
  return { ...e, path };
}

let seq = 0n;
function event(type: EventType, userId: string): MoneyEvent {
  seq++;
  return { seq, id: uniq('evt_'), type, userId, createdAt: new Date(), data: { userId, n: Number(seq) } };
}

const deliveriesTo = async (endpointId: string) =>
  (
    (await db('webhook_deliveries').where({ endpoint_id: endpointId }).select('event_id')) as Array<{
      event_id: string;
    }>
  )
    .map((r) => r.event_id)
    .sort();

test('enqueue: an endpoint gets its subscribed events about its owner and the downline only, once', async () => {
  const root = await user('master_distributor');
  const d1 = await user('distributor', root);
  const r1 = await user('retailer', d1);
  const r1b = await user('retailer', d1);
  const d2 = await user('distributor', root);
  const r2 = await user('retailer', d2);
  const d1Endpoint = await endpoint(d1);
  const r1Endpoint = await endpoint(r1, ['wallet.debited']);
  const d2Endpoint = await endpoint(d2);
  const rootEndpoint = await endpoint(root, ['recharge.succeeded']);

  const events = [
    event('wallet.debited', r1.id),
    event('recharge.succeeded', r1.id),
    event('wallet.credited', r1b.id),
    event('recharge.succeeded', r2.id),
    event('wallet.credited', d1.id),
    event('wallet.debited', uniq('usr_')), // nobody's
    event('ping', r1.id), // never from the feed
  ];
  const ids = events.map((e) => e.id);
  const c = consumer();
  await c.enqueue(events);
  await c.enqueue(events); // a batch handed out again after a crash
  await c.enqueue([events[1]!, events[0]!]);

  assert.deepEqual(await deliveriesTo(d1Endpoint.id), [ids[0], ids[1], ids[2], ids[4]].sort());
  assert.deepEqual(await deliveriesTo(r1Endpoint.id), [ids[0]]);
  assert.deepEqual(await deliveriesTo(d2Endpoint.id), [ids[3]]);
  assert.deepEqual(await deliveriesTo(rootEndpoint.id), [ids[1], ids[3]].sort());

  // A disabled or deleted endpoint gets nothing new.
  await db('webhook_endpoints').where({ id: d2Endpoint.id }).update({ status: 'disabled', disabled_at: db.fn.now() });
  await service.remove(root, rootEndpoint.id);
  const later = [event('recharge.succeeded', r2.id)];
  await c.enqueue(later);
  assert.deepEqual(await deliveriesTo(d2Endpoint.id), [ids[3]]);
  assert.deepEqual(await deliveriesTo(rootEndpoint.id), [ids[1], ids[3]].sort());
});

test('two workers sending at once deliver every event exactly once, each signed', async () => {
  const owner = await user('distributor');
  const e = await endpoint(owner);
  const events = Array.from({ length: 60 }, () => event('wallet.credited', owner.id));
  await consumer().enqueue(events);
  const [a, b] = [consumer(), consumer()];
  for (let round = 0; round < 10; round++) {
    await Promise.all([a.sendDue(7), b.sendDue(7), a.sendDue(5), b.sendDue(5)]);
    if (receiver.received().filter((d) => d.path === e.path).length >= events.length) break;
  }
  const got = receiver.received().filter((d) => d.path === e.path);
  assert.equal(got.length, events.length, 'one POST per event');
  assert.deepEqual(got.map((d) => d.eventId).sort(), events.map((x) => x.id).sort());
  assert.ok(got.every((d) => verifySignature(e.secret, d.body, d.signature)));
  const rows = (await db('webhook_deliveries').where({ endpoint_id: e.id }).select('status', 'attempt')) as Array<{
    status: string;
    attempt: number;
  }>;
  assert.ok(rows.every((r) => r.status === 'delivered' && r.attempt === 1));
  const [attempts] = (await db('webhook_attempts').where({ endpoint_id: e.id }).count('* as n')) as [{ n: string }];
  assert.equal(Number(attempts.n), events.length);
});

test('a delivery given up after giveUpAfterSeconds is failed, and the endpoint stays active below the disable age', async () => {
  const owner = await user('distributor');
  const e = await endpoint(owner);
  receiver.answer(500, e.path);
  const ev = event('wallet.credited', owner.id);
  const c = new WebhookConsumer({
    db,
    vault,
    policy,
    settings: { ...settings, giveUpAfterSeconds: 1 },
    sms: noSms,
    email: noEmail,
    log: silent,
  });
  await c.enqueue([ev]);
  const deadline = Date.now() + 10_000;
  let row: { status: string; attempt: number } | undefined;
  do {
    await c.sendDue(50);
    await new Promise((r) => setTimeout(r, 150));
    row = (await db('webhook_deliveries').where({ endpoint_id: e.id }).first('status', 'attempt')) as typeof row;
  } while (row?.status === 'pending' && Date.now() < deadline);
  assert.equal(row?.status, 'failed');
  assert.ok(row && row.attempt >= 2);
  const ep = (await db('webhook_endpoints').where({ id: e.id }).first('status', 'failing_since')) as {
    status: string;
    failing_since: Date | null;
  };
  assert.equal(ep.status, 'active');
  assert.ok(ep.failing_since);
  const sent = receiver.received().filter((d) => d.path === e.path);
  assert.equal(new Set(sent.map((d) => d.body)).size, 1);
});
