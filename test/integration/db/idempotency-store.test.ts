import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { IdempotencyStore } from '../../../src/db/idempotency';
import { testDb, uniq } from '../../support/db';

const db = testDb();
after(() => db.destroy());

test('a claim released after a 5xx: the same body runs again at once; another body is still a mismatch', async () => {
  const store = new IdempotencyStore(db);
  const [scope, key] = [uniq('scope:'), uniq('key')];
  assert.deepEqual(await store.claim(scope, key, 'hash-a'), { kind: 'owner' });
  await store.release(scope, key);
  assert.deepEqual(await store.claim(scope, key, 'hash-b', 0), { kind: 'mismatch' });
  assert.deepEqual(await store.claim(scope, key, 'hash-a', 0), { kind: 'owner' });
  await store.complete(scope, key, { status: 202, body: { id: 'x' } });
  assert.deepEqual(await store.claim(scope, key, 'hash-a', 0), {
    kind: 'replay',
    response: { status: 202, body: { id: 'x' } },
  });
  assert.deepEqual(await store.claim(scope, key, 'hash-b', 0), { kind: 'mismatch' });
});

test('release does not undo a completed answer', async () => {
  const store = new IdempotencyStore(db);
  const [scope, key] = [uniq('scope:'), uniq('key')];
  await store.claim(scope, key, 'hash-a');
  await store.complete(scope, key, { status: 200, body: {} });
  await store.release(scope, key);
  assert.equal((await store.claim(scope, key, 'hash-a', 0)).kind, 'replay');
});
