import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { newWebhookSecret, signatureHeader, verifySignature } from '../../../src/webhooks/signature';

const secret = newWebhookSecret();
const body = '{"id":"evt_1","type":"ping","createdAt":"2026-11-26T00:00:00.000Z","data":{}}';
const now = 1_795_000_000;

test('the header is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, as Stripe verifiers expect', () => {
  const h = signatureHeader(secret, body, now);
  const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
  assert.equal(h, `t=${now},v1=${expected}`);
  assert.ok(verifySignature(secret, body, h, { nowSeconds: now }));
});

test('verification refuses a changed body, another secret, a moved time and replays older than 5 minutes', () => {
  const h = signatureHeader(secret, body, now);
  assert.equal(verifySignature(secret, body.replace('ping', 'pong'), h, { nowSeconds: now }), false);
  assert.equal(verifySignature(newWebhookSecret(), body, h, { nowSeconds: now }), false);
  assert.equal(verifySignature(secret, body, h.replace(`t=${now}`, `t=${now + 1}`), { nowSeconds: now }), false);
  assert.equal(verifySignature(secret, body, h, { nowSeconds: now + 301 }), false);
  assert.ok(verifySignature(secret, body, h, { nowSeconds: now + 299 }));
  assert.equal(verifySignature(secret, body, h, { nowSeconds: now - 301 }), false);
});

test('malformed headers are refused, never thrown on', () => {
  for (const h of [
    '',
    't=',
    'v1=abc',
    `t=${now}`,
    `t=${now},t=${now},v1=00`,
    `t=abc,v1=00`,
    'garbage',
    `t=${now},v1=`,
  ]) {
    assert.equal(verifySignature(secret, body, h, { nowSeconds: now }), false, h);
  }
});

test('a header with several v1 values (secret rotation) verifies when one matches', () => {
  const good = signatureHeader(secret, body, now).split(',')[1]!;
  assert.ok(verifySignature(secret, body, `t=${now},v1=${'0'.repeat(64)},${good}`, { nowSeconds: now }));
});
