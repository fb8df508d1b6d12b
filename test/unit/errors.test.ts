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

test('PostgreSQL or Temporal down is 503 UNAVAILABLE (retry), not a 500; other errors stay bugs', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const shuttingDown = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  const startingUp = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
  const pool = new Error('Knex: Timeout acquiring a connection. The pool is probably full.');
  const lost = new Error('Connection terminated unexpectedly');
  const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  const wrapped = new Error('failed to start workflow', { cause: grpc });
  const recovering = new Error('Unable to perform workflow execution update due to Workflow Task in failed state.');
  for (const err of [refused, shuttingDown, startingUp, pool, lost, grpc, wrapped, recovering]) {
    assert.equal(contractErrorOf(err)?.code, 'UNAVAILABLE', err.message);
  }
  const uniqueViolation = Object.assign(new Error('duplicate key value'), { code: '23505' });
  for (const err of [uniqueViolation, new TypeError('x is undefined'), { code: 14 }]) {
    assert.equal(contractErrorOf(err), undefined);
  }
});
