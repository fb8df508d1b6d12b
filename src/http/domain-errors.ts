import { AppError, contractCodeOfLedgerError, isErrorCode } from '../errors';
import { LedgerError } from '../ledger';

/** A domain error as a contract error, or undefined for a bug (which becomes a 500). */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof LedgerError) return new AppError(contractCodeOfLedgerError(err.code), err.message, err.data);
  // Failures that crossed a Temporal boundary (activity → workflow → update caller) carry the
  // contract code as their type.
  const cause = (err as { cause?: { type?: string; message?: string } })?.cause;
  if (cause && isErrorCode(cause.type)) return new AppError(cause.type, cause.message ?? cause.type);
  return undefined;
}
