import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aadhaarNumberSchema, isValidPan, panNameSchema, panSchema } from '../../../src/kyc/formats';
import { verhoeffCheckDigit } from '../../../src/kyc/verhoeff';

test('Aadhaar: 12 digits ending in the Verhoeff check digit; spaces and dashes allowed', () => {
  assert.equal(aadhaarNumberSchema.parse('999900000016'), '999900000016');
  assert.equal(aadhaarNumberSchema.parse('9999 0000 0016'), '999900000016');
  assert.equal(aadhaarNumberSchema.parse('9999-0000-0016'), '999900000016');
  const base = '23456789012';
  assert.equal(aadhaarNumberSchema.parse(`${base}${verhoeffCheckDigit(base)}`), `${base}${verhoeffCheckDigit(base)}`);
  for (const bad of ['999900000017', '99990000001', '9999000000166', '099900000016', 'abcd00000016', '']) {
    assert.equal(aadhaarNumberSchema.safeParse(bad).success, false, bad);
  }
});

test('Aadhaar validation messages never echo the number', () => {
  const r = aadhaarNumberSchema.safeParse('999900000017');
  assert.equal(r.success, false);
  assert.ok(!JSON.stringify(r.error!.issues).includes('99990000001'));
});

test('PAN: AAAAA9999A, normalised to upper case', () => {
  assert.ok(isValidPan('ABCPE1234F'));
  assert.equal(panSchema.parse(' abcpe1234f '), 'ABCPE1234F');
  for (const bad of ['ABCPE1234', 'ABCP31234F', 'ABCPE12345', '1BCPE1234F', 'ABCPE1234FF', 'ABC PE1234F', '']) {
    assert.equal(panSchema.safeParse(bad).success, false, bad);
  }
});

test("the name on a PAN: letters, spaces and . ' - only", () => {
  assert.equal(panNameSchema.parse('  Asha Verma '), 'Asha Verma');
  assert.equal(panNameSchema.safeParse("R. D'Souza-Iyer").success, true);
  for (const bad of ['', '123', 'Asha<script>', ' '.repeat(5)])
    assert.equal(panNameSchema.safeParse(bad).success, false, bad);
});
