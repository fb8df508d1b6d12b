import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../../portal/src/api/error';
import { messageOf } from '../../../portal/src/error-text';

const codes = [
  'INSUFFICIENT_FUNDS',
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'RISK_REJECTED',
  'KYC_REQUIRED',
  'STEP_UP_REQUIRED',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'USER_SUSPENDED',
  'LIMIT_EXCEEDED',
];

test("English shows the API's own message, unchanged", () => {
  for (const code of codes)
    assert.equal(messageOf(new ApiError(422, code, 'The API says so'), 'en'), 'The API says so');
  assert.equal(
    messageOf(new ApiError(422, 'INSUFFICIENT_FUNDS', 'Insufficient wallet balance')),
    'Insufficient wallet balance',
  );
});

test("Hindi gives every common code a Hindi message, with the API's own beside it", () => {
  for (const code of codes) {
    const text = messageOf(new ApiError(422, code, 'The API says so'), 'hi');
    assert.match(text, /^[\u0900-\u097F][^—]* — The API says so$/, code);
  }
  // A code without a translation keeps the API's words alone.
  assert.equal(messageOf(new ApiError(409, 'IDEMPOTENCY_CONFLICT', 'Key reused'), 'hi'), 'Key reused');
});

test('a validation failure names the fields the API named', () => {
  const err = new ApiError(400, 'VALIDATION_FAILED', 'Invalid provider definition', {
    fields: [{ path: 'body.definition', message: 'submit is required' }],
  });
  assert.equal(messageOf(err), 'Invalid provider definition (body.definition: submit is required)');
  assert.equal(messageOf(new ApiError(400, 'VALIDATION_FAILED', 'Bad', { fields: 'odd' })), 'Bad');
  assert.equal(messageOf(new Error('network down')), 'network down');
});
