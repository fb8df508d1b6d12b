import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatBps, formatPaise, parsePercent, parseRupees, rupeesText } from '../../../portal/src/money';

test('amounts are shown as rupees with Indian digit grouping, to the paisa', () => {
  assert.equal(formatPaise(0), '₹0.00');
  assert.equal(formatPaise(5), '₹0.05');
  assert.equal(formatPaise(123450), '₹1,234.50');
  assert.equal(formatPaise(90300), '₹903.00');
  assert.equal(formatPaise(1234567890), '₹1,23,45,678.90');
  assert.equal(formatPaise(-250), '−₹2.50');
  assert.throws(() => formatPaise(1.5));
});

test('rupees typed are parsed digit by digit into integer paise', () => {
  assert.equal(parseRupees('12.5'), 1250);
  assert.equal(parseRupees('0.29'), 29); // 0.29 * 100 is 28.999999999999996 in floats
  assert.equal(parseRupees('1,000'), 100000);
  assert.equal(parseRupees(' ₹100.00 '), 10000);
  assert.equal(parseRupees('100.'), 10000);
  for (const bad of ['', '.5', '1.234', '-5', '1e3', '12,5.0.1', 'abc', '0x10', '١٢', 'Infinity', '99999999999']) {
    assert.equal(parseRupees(bad), undefined, bad);
  }
});

test('what is shown parses back to the same paise', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99_999_999_99 }), (paise) => {
      assert.equal(parseRupees(formatPaise(paise)), paise);
      assert.equal(parseRupees(rupeesText(paise)), paise);
    }),
  );
});

test('percentages typed become basis points by digits, at most 100 %', () => {
  assert.equal(parsePercent('3'), 300);
  assert.equal(parsePercent('0.29'), 29);
  assert.equal(parsePercent(' 12.5 % '), 1250);
  assert.equal(parsePercent('100'), 10_000);
  for (const bad of ['', '100.01', '-1', '1.234', '3,5', 'abc', '1e2']) assert.equal(parsePercent(bad), undefined, bad);
  assert.equal(formatBps(350), '3.50%');
  fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), (bps) => assert.equal(parsePercent(formatBps(bps)), bps)));
});
