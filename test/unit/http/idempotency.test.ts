import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Request } from 'express';
import { requestHash } from '../../../src/http/idempotency';
import { idempotencyKeySchema } from '../../../src/http/schemas';

const req = (method: string, path: string, body: unknown) => ({ method, baseUrl: '', path, body }) as Request;

describe('request fingerprint of an idempotent request', () => {
  test('ignores the order of object keys, at any depth', () => {
    assert.equal(
      requestHash(req('POST', '/v1/transfers', { a: 1, b: { x: 1, y: [1, { p: 1, q: 2 }] } })),
      requestHash(req('POST', '/v1/transfers', { b: { y: [1, { q: 2, p: 1 }], x: 1 }, a: 1 })),
    );
  });
  test('differs by body value, array order, path and method', () => {
    const base = requestHash(req('POST', '/v1/transfers', { amount: 100, tags: [1, 2] }));
    assert.notEqual(base, requestHash(req('POST', '/v1/transfers', { amount: 101, tags: [1, 2] })));
    assert.notEqual(base, requestHash(req('POST', '/v1/transfers', { amount: 100, tags: [2, 1] })));
    assert.notEqual(base, requestHash(req('POST', '/v1/topups', { amount: 100, tags: [1, 2] })));
    assert.notEqual(base, requestHash(req('PUT', '/v1/transfers', { amount: 100, tags: [1, 2] })));
  });
  test('a missing body and an empty one are the same request', () => {
    assert.equal(requestHash(req('POST', '/x', undefined)), requestHash(req('POST', '/x', {})));
  });
});

describe('Idempotency-Key header', () => {
  test('1 to 128 printable ASCII characters', () => {
    assert.equal(idempotencyKeySchema.safeParse('k').success, true);
    assert.equal(idempotencyKeySchema.safeParse('a'.repeat(128)).success, true);
    assert.equal(idempotencyKeySchema.safeParse('').success, false);
    assert.equal(idempotencyKeySchema.safeParse('a'.repeat(129)).success, false);
    assert.equal(idempotencyKeySchema.safeParse('has space').success, false);
    assert.equal(idempotencyKeySchema.safeParse('ключ').success, false);
    assert.equal(idempotencyKeySchema.safeParse(undefined).success, false);
  });
});
