import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateLimiter } from '../../../src/auth/rate-limit';

test('the memory limiter allows `limit` hits a window, then says when to retry', async () => {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter(() => now);
  const rule = { limit: 3, windowSeconds: 60 };
  for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.hit('k', rule), { allowed: true, retryAfterSeconds: 0 });
  now += 20_000;
  assert.deepEqual(await limiter.hit('k', rule), { allowed: false, retryAfterSeconds: 40 });
  // Other buckets are counted apart.
  assert.equal((await limiter.hit('other', rule)).allowed, true);
  now += 40_000;
  assert.equal((await limiter.hit('k', rule)).allowed, true);
});

test('refused hits are not counted, and idle windows are forgotten', async () => {
  let now = 0;
  const limiter = new MemoryRateLimiter(() => now);
  const rule = { limit: 1, windowSeconds: 10 };
  assert.equal((await limiter.hit('a', rule)).allowed, true);
  for (let i = 0; i < 5; i++) assert.equal((await limiter.hit('a', rule)).allowed, false);
  now += 10_000;
  assert.equal((await limiter.hit('a', rule)).allowed, true);
  now += 120_000;
  assert.equal((await limiter.hit('b', rule)).allowed, true);
  assert.equal((await limiter.hit('a', rule)).allowed, true);
});
