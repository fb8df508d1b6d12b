import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mpinWeakness } from '../../../src/auth/mpin';
import { strongMpinPattern } from '../../../src/http/schemas';

describe("the OpenAPI document's pattern of a new mPIN", () => {
  test('matches exactly the 6-digit mPINs mpinWeakness accepts', () => {
    const disagree: string[] = [];
    for (let n = 0; n < 1_000_000; n++) {
      const mpin = String(n).padStart(6, '0');
      if (strongMpinPattern.test(mpin) !== (mpinWeakness(mpin) === undefined)) disagree.push(mpin);
    }
    assert.deepEqual(disagree.slice(0, 20), []);
  });
});
