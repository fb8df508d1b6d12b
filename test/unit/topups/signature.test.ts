import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { validSignature } from '../../../src/http/webhooks';

const secret = 'a-webhook-secret-of-some-length';
const body = Buffer.from('{"event":"payment.succeeded","orderId":"order_1","amount":100}');
const sign = (s: string, b: Buffer) => createHmac('sha256', s).update(b).digest('hex');

test('the HMAC-SHA256 of the exact body with the shared secret is accepted, in either hex case', () => {
  assert.equal(validSignature(secret, body, sign(secret, body)), true);
  assert.equal(validSignature(secret, body, sign(secret, body).toUpperCase()), true);
});

test('forged, re-targeted and malformed signatures are refused', () => {
  assert.equal(validSignature(secret, body, undefined), false);
  assert.equal(validSignature(secret, body, ''), false);
  assert.equal(validSignature(secret, body, sign('another-secret-entirely', body)), false, 'wrong secret');
  assert.equal(validSignature(secret, Buffer.from(`${body.toString()} `), sign(secret, body)), false, 'other bytes');
  assert.equal(validSignature(secret, body, sign(secret, body).slice(0, 62)), false, 'truncated');
  assert.equal(validSignature(secret, body, `${sign(secret, body)}00`), false, 'too long');
  assert.equal(validSignature(secret, body, 'z'.repeat(64)), false, 'not hex');
});
