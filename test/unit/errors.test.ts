import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { asActivityFailure } from '../../activities/failures';
import { AppError, contractErrorOf, errorTable } from '../../src/errors';
import { InsufficientFunds, LedgerError, LedgerErrorCode } from '../../src/ledger';

test('every ledger error code has a contract code', () => {
  for (const code of Object.values(LedgerErrorCode)) {
    const mapped = contractErrorOf(new LedgerError(code, 'x'));
    assert.ok(mapped && Object.hasOwn(errorTable, mapped.code), code);
  }
});

test('a refusal no retry can change becomes a non-retryable failure typed with its contract code', () => {
  const failure = asActivityFailure(new InsufficientFunds('wallet:u', 10n, 5n));
  assert.ok(failure instanceof ApplicationFailure);
  assert.equal(failure.type, 'INSUFFICIENT_FUNDS');
  assert.equal(failure.nonRetryable, true);
  const refused = asActivityFailure(new AppError('KYC_REQUIRED', 'KYC first'));
  assert.ok(refused instanceof ApplicationFailure && refused.type === 'KYC_REQUIRED' && refused.nonRetryable);
});

test('what a retry may fix is thrown as it is: unavailable ledger, a bug', () => {
  const down = new LedgerError('LEDGER_UNAVAILABLE', 'connection lost');
  assert.equal(asActivityFailure(down), down);
  const bug = new TypeError('undefined is not a function');
  assert.equal(asActivityFailure(bug), bug);
});

test('a failure that crossed Temporal keeps its contract code; an unknown type is a bug', () => {
  assert.equal(contractErrorOf({ cause: { type: 'LIMIT_EXCEEDED', message: 'cap' } })?.code, 'LIMIT_EXCEEDED');
  assert.equal(contractErrorOf({ cause: { type: 'toString', message: 'x' } }), undefined);
});
