import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PgRateLimiter } from '../../../src/auth/rate-limit';
import { testDb, uniq } from '../../support/db';

const db = testDb(25);
after(() => db.destroy());

test('concurrent hits on one bucket: exactly `limit` get through, across limiter instances', async () => {
  const bucket = uniq('race:');
  const limiters = [new PgRateLimiter(db), new PgRateLimiter(db)];
  const rule = { limit: 5, windowSeconds: 3600 };
  const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => limiters[i % 2]!.hit(bucket, rule)));
  assert.equal(decisions.filter((d) => d.allowed).length, 5);
  for (const d of decisions.filter((x) => !x.allowed)) {
    assert.ok(d.retryAfterSeconds > 3590 && d.retryAfterSeconds <= 3600, String(d.retryAfterSeconds));
  }
  const rows = await db('rate_limit_hits').where({ bucket }).count<{ count: string }[]>();
  assert.equal(Number(rows[0]!.count), 5, 'refused hits are not recorded');
});

test('the window slides: hits older than the window stop counting', async () => {
  const bucket = uniq('slide:');
  const limiter = new PgRateLimiter(db);
  const rule = { limit: 2, windowSeconds: 1 };
  assert.equal((await limiter.hit(bucket, rule)).allowed, true);
  assert.equal((await limiter.hit(bucket, rule)).allowed, true);
  const refused = await limiter.hit(bucket, rule);
  assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 1 });
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal((await limiter.hit(bucket, rule)).allowed, true);
});

test('windows longer than a day are refused (older hits are pruned)', async () => {
  await assert.rejects(new PgRateLimiter(db).hit(uniq('long:'), { limit: 1, windowSeconds: 86_401 }), /at most a day/);
});
