/**
 * Errors of the public contract (../shared/API.md), raised by domain code and mapped to HTTP
 * statuses once, in src/http/errors.ts. The code is what survives every boundary.
 */
export const errorCodes = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IDEMPOTENCY_CONFLICT',
  'CONFLICT',
  'INSUFFICIENT_FUNDS',
  'LIMIT_EXCEEDED',
  'KYC_REQUIRED',
  'USER_SUSPENDED',
  'UNKNOWN_OPERATOR',
  'INVALID_AMOUNT',
  'RISK_REJECTED',
  'STEP_UP_REQUIRED',
  'RATE_LIMITED',
  'INTERNAL',
  'UNAVAILABLE',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Ledger error codes as the public contract names them. */
const fromLedger: Record<string, ErrorCode> = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  CREDITS_EXCEED_DEBITS: 'LIMIT_EXCEEDED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  ACCOUNT_NOT_FOUND: 'NOT_FOUND',
  ACCOUNT_CONFLICT: 'CONFLICT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  PENDING_NOT_FOUND: 'NOT_FOUND',
  PENDING_ALREADY_RESOLVED: 'CONFLICT',
  PENDING_EXPIRED: 'CONFLICT',
  ALREADY_REVERSED: 'CONFLICT',
  INVALID_TRANSFER: 'VALIDATION_FAILED',
  LINKED_TRANSFER_FAILED: 'CONFLICT',
  LEDGER_UNAVAILABLE: 'UNAVAILABLE',
};

export function contractCodeOfLedgerError(ledgerCode: string): ErrorCode {
  return fromLedger[ledgerCode] ?? 'INTERNAL';
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (errorCodes as readonly string[]).includes(code);
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
