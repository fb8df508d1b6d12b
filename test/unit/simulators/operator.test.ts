import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidAadhaarNumber } from '../../../src/kyc/verhoeff';
import { BoundedMap, RecentList } from '../../../dev/simulators/bounded';
import { KYC_TEST_INPUTS } from '../../../dev/simulators/kyc';
import { BETA_OPERATOR_CODES, paiseFromRupees, rupees } from '../../../dev/simulators/operator/beta';
import { isValidSubscriber, OPERATOR_KINDS } from '../../../dev/simulators/operator/operators';
import { OPERATOR_TEST_SUBSCRIBERS, scenarioFor } from '../../../dev/simulators/operator/subscribers';

describe('operator simulator pieces', () => {
  test('the test subscribers match API.md and are valid prepaid numbers', () => {
    assert.deepEqual(Object.values(OPERATOR_TEST_SUBSCRIBERS), [
      '9000000001',
      '9000000002',
      '9000000003',
      '9000000004',
      '9000000005',
      '9000000006',
      '9000000007',
    ]);
    for (const s of Object.values(OPERATOR_TEST_SUBSCRIBERS)) assert.ok(isValidSubscriber('JIO', s));
    assert.equal(scenarioFor('9000000002'), 'pendingThenSuccess');
    assert.equal(scenarioFor('9876543210'), 'success');
  });

  test('subscriber ids by operator kind', () => {
    assert.ok(isValidSubscriber('AIRTEL', '6123456789'));
    assert.equal(isValidSubscriber('AIRTEL', '5123456789'), false);
    assert.equal(isValidSubscriber('VI', '98765'), false);
    assert.ok(isValidSubscriber('DISHTV', '01234567890'));
    assert.equal(isValidSubscriber('DISHTV', '12ab5678'), false);
  });

  test('beta maps every operator of ours and reads rupee amounts without floats', () => {
    assert.deepEqual(new Set(Object.values(BETA_OPERATOR_CODES)), new Set(Object.keys(OPERATOR_KINDS)));
    assert.equal(paiseFromRupees('199'), 19900);
    assert.equal(paiseFromRupees('199.5'), 19950);
    assert.equal(paiseFromRupees(' 10.05 '), 1005);
    for (const bad of ['', '1.234', '-5', '1e3', 'abc', '12345678']) assert.equal(paiseFromRupees(bad), undefined, bad);
    assert.equal(rupees(19905), '199.05');
    assert.equal(rupees(0), '0.00');
  });

  test('the KYC test Aadhaar numbers pass or fail the Verhoeff check as documented', () => {
    assert.ok(isValidAadhaarNumber(KYC_TEST_INPUTS.aadhaar.success));
    assert.ok(isValidAadhaarNumber(KYC_TEST_INPUTS.aadhaar.providerDown));
    assert.equal(isValidAadhaarNumber(KYC_TEST_INPUTS.aadhaar.badCheckDigit), false);
  });

  test('bounded state drops the oldest entries (by first insertion)', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    assert.deepEqual(
      [...m],
      [
        ['b', 2],
        ['c', 4],
      ],
    );
    const l = new RecentList<number>(3);
    for (const n of [1, 2, 3, 4]) l.add(n);
    assert.deepEqual(l.newestFirst(), [4, 3, 2]);
    assert.deepEqual(
      l.newestFirst((n) => n % 2 === 0),
      [4, 2],
    );
  });
});
