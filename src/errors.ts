import { LedgerError, type LedgerErrorCode } from './ledger/errors';

/**
 * The one error vocabulary: every code of the public contract (../shared/API.md), the HTTP status
 * it is answered with, and whether an activity failing with it is worth retrying. Domain code
 * raises AppErrors; the ledger's own codes map onto these once, below; HTTP (src/http/errors.ts)
 * and Temporal (activities/failures.ts) both translate from this table and nowhere else.
 */
export const errorTable = {
  VALIDATION_FAILED: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  IDEMPOTENCY_CONFLICT: { status: 409, retryable: false },
  CONFLICT: { status: 409, retryable: false },
  INSUFFICIENT_FUNDS: { status: 422, retryable: false },
  LIMIT_EXCEEDED: { status: 422, retryable: false },
  KYC_REQUIRED: { status: 422, retryable: false },
  USER_SUSPENDED: { status: 422, retryable: false },
  UNKNOWN_OPERATOR: { status: 422, retryable: false },
  INVALID_AMOUNT: { status: 422, retryable: false },
  RISK_REJECTED: { status: 422, retryable: false },
  STEP_UP_REQUIRED: { status: 422, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  INTERNAL: { status: 500, retryable: true },
  UNAVAILABLE: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorTable;
export const errorCodes = Object.keys(errorTable) as [ErrorCode, ...ErrorCode[]];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Each ledger error code as the public contract names it. */
const fromLedger: Record<LedgerErrorCode, ErrorCode> = {
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

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorTable, code);
}

/**
 * A domain error as a contract error: an AppError as it is, a ledger error by its code, and a
 * failure that crossed a Temporal boundary (activity → workflow → client) by the contract code it
 * carries as its type. Undefined for anything else: a bug.
 */
export function contractErrorOf(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof LedgerError) return new AppError(fromLedger[err.code], err.message, err.data);
  const cause = (err as { cause?: { type?: string; message?: string } })?.cause;
  if (cause && isErrorCode(cause.type)) return new AppError(cause.type, cause.message ?? cause.type);
  if (isOutage(err))
    return new AppError('UNAVAILABLE', 'A service the platform depends on is unavailable; retry shortly');
  return undefined;
}

// PostgreSQL down, restarting or unreachable: node's socket errors, SQLSTATE classes 08
// (connection exception) and 57P (operator intervention: shutdown, starting up), and the pool's
// own words; Temporal unreachable: gRPC UNAVAILABLE (14); a workflow whose worker just died
// refuses updates until a new worker has run its task again.
const outageSocketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
const outageMessages =
  /Connection terminated|Timeout acquiring a connection|the database system is (starting up|shutting down)|Workflow Task in failed state/;

/** Whether an error says a service we depend on is down, not that the request or the code is wrong. */
function isOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (outageSocketCodes.has(e.code) || /^(08|57P)/.test(e.code))) return true;
  if (e.code === 14 && (err as Error).name?.includes('Error')) return true;
  if (typeof e.message === 'string' && outageMessages.test(e.message)) return true;
  return isOutage(e.cause, depth + 1);
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
