import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/errors';
import { afterIdOf, nextIdCursor } from '../../../src/http/pagination';

test('the next page cursor names the last row seen and reads back to it', () => {
  for (const id of ['usr_abc123', 'tpu_0123456789abcdef0123456789']) {
    const cursor = nextIdCursor({ items: [{ id: 'usr_first' }, { id }], more: true });
    assert.match(cursor!, /^[A-Za-z0-9_-]+$/, 'URL-safe');
    assert.equal(afterIdOf(cursor!), id);
  }
});

test('the last page has no next cursor', () => {
  assert.equal(nextIdCursor({ items: [{ id: 'usr_abc123' }], more: false }), null);
  assert.equal(nextIdCursor({ items: [], more: true }), null);
});

test('no cursor is the first page; anything not a cursor is a 400 naming query.cursor', () => {
  assert.equal(afterIdOf(undefined), undefined);
  const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  for (const bad of ['', '%%', encode("usr_1' or 1=1"), encode('x'.repeat(65)), encode('a/b')]) {
    assert.throws(
      () => afterIdOf(bad),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'VALIDATION_FAILED' &&
        JSON.stringify(err.details).includes('query.cursor'),
      bad,
    );
  }
});
