import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSmsSender } from '../../../src/notify/sms';
import { getJson, postJson, startWithReceiver, type Json } from './receiver';

describe('SMS sink (twilio-compatible)', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  before(async () => {
    env = await startWithReceiver();
  });
  after(() => env.stop());

  const sender = (overrides: { authToken?: string } = {}) =>
    createSmsSender({ ...env.config.notify.twilio, apiBaseUrl: env.sims.urls.sms, ...overrides });

  test('the real twilio client delivers through createSmsSender; GET /messages lists them newest first', async () => {
    const sms = sender();
    const first = await sms.send('+919876543210', 'Your OTP is 123456');
    const second = await sms.send('+919876543210', 'Recharge of ₹199 successful');
    await sms.send('+919811111111', 'someone else');
    assert.match(first.sid, /^SM[0-9a-f]{32}$/);
    for (const to of ['9876543210', '+919876543210', '%2B919876543210']) {
      const { body } = await getJson(`${env.sims.urls.sms}/messages?to=${to}`);
      assert.deepEqual(
        body.items.map((m: Json) => [m.sid, m.body, m.from]),
        [
          [second.sid, 'Recharge of ₹199 successful', env.config.notify.twilio.from],
          [first.sid, 'Your OTP is 123456', env.config.notify.twilio.from],
        ],
      );
    }
  });

  test('the resource is Twilio-shaped and can be fetched back by sid', async () => {
    const { accountSid, authToken } = env.config.notify.twilio;
    const { sid } = await sender().send('+919876500000', 'hello');
    const auth = { Authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` };
    const { status, body } = await getJson(
      `${env.sims.urls.sms}/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      auth,
    );
    assert.equal(status, 200);
    assert.deepEqual(
      [body.sid, body.account_sid, body.status, body.direction, body.to, body.num_segments, body.api_version],
      [sid, accountSid, 'queued', 'outbound-api', '+919876500000', '1', '2010-04-01'],
    );
    assert.match(body.date_created, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(body.uri, `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`);
    const missing = await getJson(`${env.sims.urls.sms}/2010-04-01/Accounts/${accountSid}/Messages/SMnope.json`, auth);
    assert.deepEqual([missing.status, missing.body.code], [404, 20404]);
  });

  test('wrong credentials are a Twilio 20003 error', async () => {
    await assert.rejects(sender({ authToken: 'wrong' }).send('+919876543210', 'x'), (err: Json) => {
      assert.equal(err.status, 401);
      assert.equal(err.code, 20003);
      return true;
    });
  });

  test('a missing body is a Twilio 400 error', async () => {
    await assert.rejects(sender().send('+919876543210', ''), (err: Json) => err.status === 400 && err.code === 21604);
  });

  test('the outage control makes sends fail with 503 until lifted', async () => {
    assert.deepEqual((await postJson(`${env.sims.urls.sms}/control`, { down: true })).body, { down: true });
    try {
      await assert.rejects(sender().send('+919876543210', 'during outage'), (err: Json) => err.status === 503);
    } finally {
      await postJson(`${env.sims.urls.sms}/control`, { down: false });
    }
    await sender().send('+919876543210', 'after outage');
    const { body } = await getJson(`${env.sims.urls.sms}/messages?to=9876543210`);
    assert.equal(body.items[0].body, 'after outage');
    assert.equal(
      body.items.some((m: Json) => m.body === 'during outage'),
      false,
    );
  });
});
