import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MpinService } from '../../../src/auth/mpin';
import { loadConfig } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { newId } from '../../../src/ids';
import { uniqueMobile } from '../../support/api';
import { testDb } from '../../support/db';

const db = testDb(25);
after(() => db.destroy());
const cfg = loadConfig({ NODE_ENV: 'test' }).auth;

async function newUser(): Promise<string> {
  const id = newId('usr');
  await db('users').insert({ id, role: 'retailer', name: 'mPIN race', mobile: uniqueMobile(), path: id });
  return id;
}

function reasonOf(r: PromiseSettledResult<void>): string {
  if (r.status === 'fulfilled') return 'ok';
  const err = r.reason as AppError;
  return String(err.details?.reason ?? err.code);
}

test('concurrent wrong mPINs are counted one at a time: the 5th locks, the rest are refused uncounted', async () => {
  const userId = await newUser();
  const mpins = new MpinService(db, cfg);
  await mpins.set(userId, '482913', undefined, {});
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => mpins.check(userId, '135790', {})));
  const reasons = results.map(reasonOf);
  assert.equal(reasons.filter((r) => r === 'mpin_incorrect').length, 4, reasons.join());
  assert.equal(reasons.filter((r) => r === 'mpin_locked').length, 8, reasons.join());
  const row = (await db('user_mpins').where({ user_id: userId }).first()) as {
    recent_failures: Date[];
    locked_until: Date;
  };
  assert.equal(row.recent_failures.length, 5);
  assert.ok(row.locked_until.getTime() > Date.now() + (cfg.mpinLockSeconds - 60) * 1000);
  await assert.rejects(mpins.check(userId, '482913', {}), (e: AppError) => e.details?.reason === 'mpin_locked');
});

test('the right mPIN resets the run of wrong tries, but not the day count', async () => {
  const userId = await newUser();
  const mpins = new MpinService(db, { ...cfg, mpinFreezeTries: 6 });
  await mpins.set(userId, '482913', undefined, {});
  for (let i = 0; i < 4; i++) await assert.rejects(mpins.check(userId, '135790', {}));
  await mpins.check(userId, '482913', {});
  await assert.rejects(mpins.check(userId, '135790', {}), (e: AppError) => e.details?.attemptsLeft === 4);
  await assert.rejects(
    mpins.check(userId, '135790', {}),
    (e: AppError) => e.code === 'USER_SUSPENDED' && e.details?.reason === 'mpin_frozen',
  );
  assert.equal((await mpins.status(userId)).frozen, true);
  await mpins.unlock('usr_admin', userId, {});
  await mpins.check(userId, '482913', {});
});
