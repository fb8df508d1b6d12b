import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { generateApiKey, hashApiKey, keyPrefix } from '../../../src/users/api-keys';

test('keys are long random secrets with a recognisable prefix, never repeating', () => {
  const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
  assert.equal(keys.size, 1000);
  for (const k of keys) assert.match(k, /^tjr_[A-Za-z0-9_-]{43}$/);
});

test('the stored hash is the SHA-256 of the key and the shown prefix reveals none of the secret', () => {
  const key = generateApiKey();
  assert.equal(hashApiKey(key), createHash('sha256').update(key).digest('hex'));
  assert.notEqual(hashApiKey(key), hashApiKey(generateApiKey()));
  assert.equal(keyPrefix(key), key.slice(0, 10));
  assert.ok(keyPrefix(key).length <= 10, 'at most 6 of the 43 random characters');
});
