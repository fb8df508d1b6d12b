import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mpinWeakness } from '../../../src/auth/mpin';

test('trivial mPINs are refused with a reason', () => {
  for (const weak of [
    '000000',
    '111111',
    '999999',
    '123456',
    '234567',
    '456789',
    '012345',
    '890123',
    '654321',
    '987654',
    '210987',
  ]) {
    assert.ok(mpinWeakness(weak), `${weak} should be refused`);
  }
  assert.equal(mpinWeakness('000000'), 'all digits are the same');
  assert.equal(mpinWeakness('123456'), 'an ascending sequence');
  assert.equal(mpinWeakness('654321'), 'a descending sequence');
  assert.equal(mpinWeakness('121212'), 'a repeated pattern');
  assert.equal(mpinWeakness('123123'), 'a repeated pattern');
});

test('ordinary mPINs pass', () => {
  for (const ok of ['482913', '135790', '102938', '112233', '123455', '908172']) {
    assert.equal(mpinWeakness(ok), undefined, ok);
  }
});
