import { ApplicationFailure } from '@temporalio/activity';
import { contractErrorOf, errorTable } from '../src/errors';

/**
 * A domain refusal that no retry can change becomes a non-retryable ApplicationFailure whose type
 * is its contract code (src/errors.ts), so workflows branch on it and the API maps it without
 * knowing where it came from. Anything retryable (a lost connection, a bug) is thrown as it is.
 */
export function asActivityFailure(err: unknown): unknown {
  const known = contractErrorOf(err);
  if (!known || errorTable[known.code].retryable) return err;
  return ApplicationFailure.nonRetryable(known.message, known.code, known.details ?? {});
}
