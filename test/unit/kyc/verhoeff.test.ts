import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hasValidVerhoeffCheckDigit, isValidAadhaarNumber, verhoeffCheckDigit } from '../../../src/kyc/verhoeff';

describe('Verhoeff check digit', () => {
  test('known vectors', () => {
    assert.equal(verhoeffCheckDigit('236'), 3);
    assert.equal(verhoeffCheckDigit('12345'), 1);
    assert.equal(verhoeffCheckDigit('142857'), 0);
    assert.equal(hasValidVerhoeffCheckDigit('2363'), true);
    assert.equal(hasValidVerhoeffCheckDigit('2364'), false);
  });

  test('rejects what is not a digit string', () => {
    assert.throws(() => verhoeffCheckDigit(''), RangeError);
    assert.throws(() => verhoeffCheckDigit('12a'), RangeError);
    assert.equal(hasValidVerhoeffCheckDigit('7'), false);
    assert.equal(hasValidVerhoeffCheckDigit('23 63'), false);
  });

  const digitString = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 });

  test('appending the check digit always validates', () => {
    fc.assert(fc.property(digitString, (s) => hasValidVerhoeffCheckDigit(s + verhoeffCheckDigit(s))));
  });

  test('every single-digit error is caught', () => {
    fc.assert(
      fc.property(digitString, fc.nat(), fc.integer({ min: 1, max: 9 }), (s, at, delta) => {
        const full = s + verhoeffCheckDigit(s);
        const i = at % full.length;
        const changed = full.slice(0, i) + ((Number(full[i]) + delta) % 10) + full.slice(i + 1);
        return !hasValidVerhoeffCheckDigit(changed);
      }),
    );
  });

  test('every adjacent transposition of different digits is caught', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 2, maxLength: 20 }),
        fc.nat(),
        (s, at) => {
          const full = s + verhoeffCheckDigit(s);
          const i = at % (full.length - 1);
          if (full[i] === full[i + 1]) return true;
          const swapped = full.slice(0, i) + full[i + 1] + full[i] + full.slice(i + 2);
          return !hasValidVerhoeffCheckDigit(swapped);
        },
      ),
    );
  });
});

describe('Aadhaar number', () => {
  test('12 digits, not starting with 0 or 1, with a valid check digit', () => {
    assert.equal(isValidAadhaarNumber('234123412346'), true);
    assert.equal(isValidAadhaarNumber('999900000016'), true);
    assert.equal(isValidAadhaarNumber('999900000017'), false);
    assert.equal(isValidAadhaarNumber('23412341234'), false);
    assert.equal(isValidAadhaarNumber('2341234123460'), false);
    const base = '12341234123';
    assert.equal(isValidAadhaarNumber(base + verhoeffCheckDigit(base)), false, 'starts with 1');
    assert.equal(isValidAadhaarNumber('2341 2341 2346'), false);
  });
});
