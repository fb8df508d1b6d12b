/**
 * The Verhoeff check digit (dihedral group D5), which UIDAI uses as the last digit of an Aadhaar
 * number. It catches every single-digit error and every adjacent transposition.
 */

const multiplication = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

const permutation = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

const inverse = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

const digitsOnly = /^\d+$/;

/** Folds the digits right to left; `offset` is 1 when the check digit is still to be appended. */
function checksum(digits: string, offset: 0 | 1): number {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = multiplication[c]![permutation[(i + offset) % 8]![d]!]!;
  }
  return c;
}

/** The digit to append to `digits` (a non-empty string of decimal digits). */
export function verhoeffCheckDigit(digits: string): number {
  if (!digitsOnly.test(digits)) throw new RangeError('verhoeffCheckDigit takes a non-empty string of digits');
  return inverse[checksum(digits, 1)]!;
}

/** Whether the last digit of `digits` is the Verhoeff check digit of the rest. */
export function hasValidVerhoeffCheckDigit(digits: string): boolean {
  return digits.length >= 2 && digitsOnly.test(digits) && checksum(digits, 0) === 0;
}

/** An Aadhaar number: 12 digits, not starting with 0 or 1, ending in its Verhoeff check digit. */
export function isValidAadhaarNumber(value: string): boolean {
  return /^[2-9]\d{11}$/.test(value) && hasValidVerhoeffCheckDigit(value);
}
