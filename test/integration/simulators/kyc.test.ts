import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KYC_TEST_INPUTS as KYC } from '../../../dev/simulators/kyc';
import { getJson, postJson, startWithReceiver, validSignature, type Json } from './receiver';

const PAN_DELAY_MS = 200;
const WEBHOOK_SECRET = 'kyc-webhook-secret-for-tests';

describe('KYC provider simulator', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  let kyc: string;
  before(async () => {
    env = await startWithReceiver({
      kycWebhookSecret: WEBHOOK_SECRET,
      kyc: { panResultDelayMs: PAN_DELAY_MS, otpTtlMs: 60_000 },
    });
    kyc = env.sims.urls.kyc;
  });
  after(() => env.stop());

  const requestOtp = (aadhaarNumber: string) => postJson(`${kyc}/aadhaar/otp`, { aadhaarNumber });
  const sentOtp = async (requestId: string) => {
    const { body } = await getJson(`${kyc}/otps?aadhaarLast4=${KYC.aadhaar.success.slice(-4)}`);
    return (body.items as Json[]).find((i) => i.requestId === requestId)!.otp as string;
  };

  test('Aadhaar OTP: the OTP it "sent" is listed newest first and verifies with the holder name', async () => {
    const first = await requestOtp(KYC.aadhaar.success);
    const second = await requestOtp(KYC.aadhaar.success);
    assert.equal(second.status, 200);
    assert.ok(Date.parse(second.body.expiresAt) > Date.now());
    const { body } = await getJson(`${kyc}/otps?aadhaarLast4=0016`);
    assert.deepEqual(
      body.items.slice(0, 2).map((i: Json) => i.requestId),
      [second.body.requestId, first.body.requestId],
    );
    assert.match(body.items[0].otp, /^\d{6}$/);
    assert.equal(body.items[0].aadhaarLast4, '0016');
    assert.equal(JSON.stringify(body).includes(KYC.aadhaar.success), false, 'never the full number');

    const otp = await sentOtp(second.body.requestId);
    const verified = await postJson(`${kyc}/aadhaar/verify`, { requestId: second.body.requestId, otp });
    assert.deepEqual(verified.body, {
      requestId: second.body.requestId,
      status: 'VERIFIED',
      name: 'Asha Verma',
      aadhaarLast4: '0016',
    });
    const repeat = await postJson(`${kyc}/aadhaar/verify`, { requestId: second.body.requestId, otp });
    assert.equal(repeat.body.status, 'VERIFIED', 'a retried verification answers the same');
  });

  test('Aadhaar OTP: a wrong OTP is INVALID_OTP, and the attempts run out', async () => {
    const { body } = await requestOtp(KYC.aadhaar.success);
    const otp = await sentOtp(body.requestId);
    const wrong = otp === '000000' ? '111111' : '000000';
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await postJson(`${kyc}/aadhaar/verify`, { requestId: body.requestId, otp: wrong })).body);
    assert.deepEqual(
      answers.map((a) => [a.status, a.attemptsLeft]),
      [
        ['INVALID_OTP', 2],
        ['INVALID_OTP', 1],
        ['INVALID_OTP', 0],
        ['ATTEMPTS_EXCEEDED', undefined],
      ],
    );
    assert.equal(
      (await postJson(`${kyc}/aadhaar/verify`, { requestId: body.requestId, otp })).body.status,
      'ATTEMPTS_EXCEEDED',
    );
  });

  test('Aadhaar OTP: the provider-down number answers 503; a bad check digit 400; an unknown request 404', async () => {
    const down = await requestOtp(KYC.aadhaar.providerDown);
    assert.equal(down.status, 503);
    assert.equal(down.body.error.code, 'UIDAI_UNAVAILABLE');
    const bad = await requestOtp(KYC.aadhaar.badCheckDigit);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_AADHAAR');
    assert.equal((await postJson(`${kyc}/aadhaar/verify`, { requestId: 'nope', otp: '123456' })).status, 404);
    assert.equal((await postJson(`${kyc}/aadhaar/otp`, {})).status, 400);
  });

  test('PAN: 202 pending, then a signed VERIFIED webhook; the status poll agrees; a repeated clientRef is the same request', async () => {
    const clientRef = `kyc-pan-${Date.now()}`;
    const submitted = await postJson(`${kyc}/pan`, {
      pan: KYC.pan.success.toLowerCase(),
      name: 'Asha Verma',
      clientRef,
    });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.status, 'PENDING');
    const again = await postJson(`${kyc}/pan`, { pan: KYC.pan.success, name: 'Asha Verma', clientRef });
    assert.equal(again.body.requestId, submitted.body.requestId);
    assert.equal((await getJson(`${kyc}/pan/${submitted.body.requestId}`)).body.status, 'PENDING');

    const [hook] = await env.receiver.waitFor((r) => r.path === '/v1/webhooks/kyc' && r.body.includes(clientRef));
    assert.ok(validSignature(WEBHOOK_SECRET, hook!));
    assert.equal(validSignature(env.config.kyc.webhookSecret, hook!), false);
    const body = JSON.parse(hook!.body) as Json;
    assert.deepEqual(
      { ...body, at: undefined },
      {
        event: 'pan.verification.completed',
        requestId: submitted.body.requestId,
        clientRef,
        status: 'VERIFIED',
        reason: null,
        nameOnPan: 'ASHA VERMA',
        maskedPan: 'ABCPE****F',
        at: undefined,
      },
    );
    const polled = (await getJson(`${kyc}/pan/${submitted.body.requestId}`)).body;
    assert.equal(polled.status, 'VERIFIED');
    assert.equal(polled.webhooks.length, 1);
  });

  test('PAN: the name-mismatch PAN is REJECTED with reason NAME_MISMATCH', async () => {
    const clientRef = `kyc-mismatch-${Date.now()}`;
    const { body } = await postJson(`${kyc}/pan`, { pan: KYC.pan.nameMismatch, name: 'Asha Verma', clientRef });
    const [hook] = await env.receiver.waitFor((r) => r.path === '/v1/webhooks/kyc' && r.body.includes(clientRef));
    assert.ok(validSignature(WEBHOOK_SECRET, hook!));
    const parsed = JSON.parse(hook!.body) as Json;
    assert.deepEqual([parsed.status, parsed.reason, parsed.nameOnPan], ['REJECTED', 'NAME_MISMATCH', null]);
    const polled = (await getJson(`${kyc}/pan/${body.requestId}`)).body;
    assert.deepEqual([polled.status, polled.reason], ['REJECTED', 'NAME_MISMATCH']);
  });

  test('PAN: for the no-webhook PAN only the status poll gives the answer', async () => {
    const clientRef = `kyc-silent-${Date.now()}`;
    const { body } = await postJson(`${kyc}/pan`, { pan: KYC.pan.webhookNeverSent, name: 'Ravi Kumar', clientRef });
    await new Promise((r) => setTimeout(r, PAN_DELAY_MS + 300));
    assert.equal(env.receiver.received.filter((r) => r.body.includes(clientRef)).length, 0);
    const polled = (await getJson(`${kyc}/pan/${body.requestId}`)).body;
    assert.equal(polled.status, 'VERIFIED');
    assert.deepEqual(polled.webhooks, []);
  });

  test('PAN: a malformed PAN is a 400', async () => {
    const res = await postJson(`${kyc}/pan`, { pan: 'ABC123', name: 'X', clientRef: 'bad' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.issues[0].path, 'pan');
  });
});

describe('KYC OTP expiry', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  before(async () => {
    env = await startWithReceiver({ kyc: { otpTtlMs: 50 } });
  });
  after(() => env.stop());

  test('the right OTP after its expiry is EXPIRED', async () => {
    const kyc = env.sims.urls.kyc;
    const { body } = await postJson(`${kyc}/aadhaar/otp`, { aadhaarNumber: KYC.aadhaar.success });
    const otp = ((await getJson(`${kyc}/otps`)).body.items as Json[]).find((i) => i.requestId === body.requestId)!.otp;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual((await postJson(`${kyc}/aadhaar/verify`, { requestId: body.requestId, otp })).body, {
      requestId: body.requestId,
      status: 'EXPIRED',
    });
  });
});
