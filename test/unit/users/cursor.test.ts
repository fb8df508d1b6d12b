import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor } from '../../../src/users/store';

test('a page cursor names the last row seen and reads back to it', () => {
  for (const id of ['usr_abc123', 'tpu_0123456789abcdef0123456789']) assert.equal(decodeCursor(encodeCursor(id)), id);
  assert.match(encodeCursor('usr_abc123'), /^[A-Za-z0-9_-]+$/, 'URL-safe');
});

test('anything else is not a cursor', () => {
  for (const bad of ['', '%%', encodeCursor("usr_1' or 1=1"), encodeCursor('x'.repeat(65)), encodeCursor('a/b')]) {
    assert.equal(decodeCursor(bad), undefined, bad);
  }
});
