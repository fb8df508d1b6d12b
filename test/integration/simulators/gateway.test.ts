import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_GATEWAY_MERCHANT_KEY } from '../../../dev/simulators/gateway';
import { getJson, postJson, startWithReceiver, validSignature, type Json } from './receiver';

const key = { 'X-Merchant-Key': DEFAULT_GATEWAY_MERCHANT_KEY };

describe('payment gateway simulator', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  let gw: string;
  before(async () => {
    env = await startWithReceiver();
    gw = env.sims.urls.gateway;
  });
  after(() => env.stop());

  const hooksFor = (orderId: string) =>
    env.receiver.received.filter(
      (r) => r.path === '/v1/webhooks/gateway' && (JSON.parse(r.body) as Json).orderId === orderId,
    );

  test('an order is paid on its payment page: signed payment.succeeded webhook, delivery status returned, resend is byte-identical', async () => {
    const reference = `topup-${Date.now()}`;
    const created = await postJson(
      `${gw}/orders`,
      { amount: 50000, reference, customer: { mobile: '9876543210' } },
      key,
    );
    assert.equal(created.status, 201);
    const { orderId, paymentUrl } = created.body;
    assert.equal(created.body.status, 'created');
    assert.equal(paymentUrl, `${gw}/pay/${orderId}`);

    const page = await fetch(paymentUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /₹500\.00/);
    assert.match(html, new RegExp(`action="/pay/${orderId}/complete"`));

    const done = await postJson(`${paymentUrl}/complete`, { outcome: 'success' });
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'paid');
    assert.match(done.body.paymentId, /^pay_/);
    assert.deepEqual([done.body.webhook.delivered, done.body.webhook.httpStatus], [true, 200]);

    const [hook] = hooksFor(orderId);
    assert.ok(hook, 'delivered before /complete answered');
    assert.ok(validSignature(env.config.providers.gatewayWebhookSecret, hook));
    const body = JSON.parse(hook.body) as Json;
    assert.deepEqual(
      { ...body, at: undefined },
      {
        event: 'payment.succeeded',
        orderId,
        reference,
        amount: 50000,
        paymentId: done.body.paymentId,
        status: 'paid',
        at: undefined,
      },
    );

    const resent = await postJson(`${paymentUrl}/resend-webhook`, {});
    assert.deepEqual([resent.body.delivered, resent.body.httpStatus], [true, 200]);
    const hooks = hooksFor(orderId);
    assert.equal(hooks.length, 2);
    assert.equal(hooks[1]!.body, hooks[0]!.body);
    assert.equal(hooks[1]!.signature, hooks[0]!.signature);

    const order = await getJson(`${gw}/orders/${orderId}`, key);
    assert.equal(order.body.status, 'paid');
    assert.equal(order.body.webhooks.length, 2);
    assert.equal((await postJson(`${paymentUrl}/complete`, { outcome: 'failure' })).status, 409);
  });

  test('a failed payment sends payment.failed; the page form post answers HTML', async () => {
    const { body } = await postJson(`${gw}/orders`, { amount: 12345, reference: `topup-f-${Date.now()}` }, key);
    const res = await fetch(`${body.paymentUrl}/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'outcome=failure',
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Payment failed/);
    const [hook] = hooksFor(body.orderId);
    assert.ok(validSignature(env.config.providers.gatewayWebhookSecret, hook!));
    assert.equal((JSON.parse(hook!.body) as Json).event, 'payment.failed');
    assert.equal((await getJson(`${gw}/orders/${body.orderId}`, key)).body.status, 'failed');
  });

  test('an undeliverable webhook is reported, and a resend delivers it', async () => {
    const { body } = await postJson(`${gw}/orders`, { amount: 10000, reference: `topup-r-${Date.now()}` }, key);
    env.receiver.status = 503;
    try {
      const done = await postJson(`${body.paymentUrl}/complete`, { outcome: 'success' });
      assert.deepEqual([done.body.webhook.delivered, done.body.webhook.httpStatus], [false, 503]);
    } finally {
      env.receiver.status = 200;
    }
    const resent = await postJson(`${body.paymentUrl}/resend-webhook`, {});
    assert.equal(resent.body.delivered, true);
  });

  test('orders are idempotent by reference, need the merchant key and valid input', async () => {
    const reference = `topup-i-${Date.now()}`;
    const a = await postJson(`${gw}/orders`, { amount: 10000, reference }, key);
    const b = await postJson(`${gw}/orders`, { amount: 10000, reference }, key);
    assert.deepEqual([a.status, b.status], [201, 200]);
    assert.equal(b.body.orderId, a.body.orderId);
    assert.equal((await postJson(`${gw}/orders`, { amount: 20000, reference }, key)).status, 409);
    assert.equal(
      (await postJson(`${gw}/orders`, { amount: 10000, reference: 'x' }, { 'X-Merchant-Key': 'wrong' })).status,
      401,
    );
    assert.equal((await getJson(`${gw}/orders/${a.body.orderId}`)).status, 401);
    assert.equal((await postJson(`${gw}/orders`, { amount: 10.5, reference: 'y' }, key)).status, 400);
    assert.equal((await postJson(`${gw}/pay/${a.body.orderId}/resend-webhook`, {})).status, 409);
    assert.equal((await postJson(`${a.body.paymentUrl}/complete`, { outcome: 'maybe' })).status, 400);
    assert.equal((await getJson(`${gw}/orders/order_nope`, key)).status, 404);
  });
});

describe('payment gateway order expiry', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  before(async () => {
    env = await startWithReceiver({ gateway: { orderTtlMs: 50 } });
  });
  after(() => env.stop());

  test('an order not paid in time is expired and cannot be paid', async () => {
    const gw = env.sims.urls.gateway;
    const { body } = await postJson(`${gw}/orders`, { amount: 10000, reference: `exp-${Date.now()}` }, key);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await getJson(`${gw}/orders/${body.orderId}`, key)).body.status, 'expired');
    const res = await postJson(`${body.paymentUrl}/complete`, { outcome: 'success' });
    assert.equal(res.status, 409);
    assert.equal(env.receiver.received.length, 0);
  });
});
