import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideBySeries, prefixesOf } from '../../../src/catalog/series';

const rows = [
  { series: '9810', operator: 'AIRTEL', circle: 'DL' },
  { series: '7000', operator: 'JIO', circle: 'MP' },
  { series: '7000', operator: 'AIRTEL', circle: 'MP' },
  { series: '70001', operator: 'VI', circle: 'MP' },
  { series: '98', operator: 'BSNL', circle: 'KA' },
];

test('prefixes of a number are its first 2 to 9 digits', () => {
  assert.deepEqual(prefixesOf('9810012345'), [
    '98',
    '981',
    '9810',
    '98100',
    '981001',
    '9810012',
    '98100123',
    '981001234',
  ]);
});

test('the longest matching series decides', () => {
  assert.deepEqual(decideBySeries('9810012345', rows), { kind: 'unique', operator: 'AIRTEL', circle: 'DL' });
  assert.deepEqual(decideBySeries('9820012345', rows), { kind: 'unique', operator: 'BSNL', circle: 'KA' });
  assert.deepEqual(decideBySeries('7000123456', rows), { kind: 'unique', operator: 'VI', circle: 'MP' });
});

test('a series two operators share is ambiguous; no series is none', () => {
  assert.deepEqual(decideBySeries('7000212345', rows), { kind: 'ambiguous', operators: ['AIRTEL', 'JIO'] });
  assert.deepEqual(decideBySeries('6999000001', rows), { kind: 'none' });
});

test('a series is a prefix, not a substring', () => {
  assert.deepEqual(decideBySeries('6298101234', rows), { kind: 'none' });
});
