import { ApplicationFailure } from '@temporalio/activity';
import { contractCodeOfLedgerError } from '../src/errors';
import { LedgerError } from '../src/ledger';

/** Ledger answers that no retry can change; anything else (a lost connection) is retried. */
const finalLedgerCodes = new Set([
  'INSUFFICIENT_FUNDS',
  'CREDITS_EXCEED_DEBITS',
  'LIMIT_EXCEEDED',
  'ACCOUNT_NOT_FOUND',
  'IDEMPOTENCY_CONFLICT',
  'PENDING_NOT_FOUND',
  'PENDING_ALREADY_RESOLVED',
  'PENDING_EXPIRED',
  'ALREADY_REVERSED',
  'INVALID_TRANSFER',
  'LINKED_TRANSFER_FAILED',
]);

/**
 * Turns a final domain error into a non-retryable ApplicationFailure whose type is the contract
 * error code, so workflows branch on it and the API maps it without knowing the ledger.
 */
export function asActivityFailure(err: unknown): unknown {
  if (err instanceof LedgerError && finalLedgerCodes.has(err.code)) {
    return ApplicationFailure.nonRetryable(err.message, contractCodeOfLedgerError(err.code), {
      ledgerCode: err.code,
      ...err.data,
    });
  }
  return err;
}
