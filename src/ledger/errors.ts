import type { LedgerErrorJson } from './types';

/**
 * Typed ledger errors. Each carries a stable string `code` and JSON-safe `data` (bigints as
 * decimal strings), so that codes survive serialization (Temporal ApplicationFailure, HTTP).
 * Use `code`, not instanceof, across process boundaries.
 */
export const LedgerErrorCode = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  CREDITS_EXCEED_DEBITS: 'CREDITS_EXCEED_DEBITS',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  ACCOUNT_NOT_FOUND: 'ACCOUNT_NOT_FOUND',
  ACCOUNT_CONFLICT: 'ACCOUNT_CONFLICT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  PENDING_NOT_FOUND: 'PENDING_NOT_FOUND',
  PENDING_ALREADY_RESOLVED: 'PENDING_ALREADY_RESOLVED',
  PENDING_EXPIRED: 'PENDING_EXPIRED',
  ALREADY_REVERSED: 'ALREADY_REVERSED',
  INVALID_TRANSFER: 'INVALID_TRANSFER',
  LINKED_TRANSFER_FAILED: 'LINKED_TRANSFER_FAILED',
  LEDGER_UNAVAILABLE: 'LEDGER_UNAVAILABLE',
} as const;
export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];

function jsonSafe(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly data: Record<string, unknown>;
  constructor(code: LedgerErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LedgerError';
    this.code = code;
    this.data = jsonSafe(data);
  }
  toJSON(): LedgerErrorJson {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export class InsufficientFunds extends LedgerError {
  constructor(accountId: string, amount: bigint, available: bigint, transferId?: string) {
    super('INSUFFICIENT_FUNDS', `account ${accountId} has ${available} paise available, needs ${amount}`, {
      accountId,
      amount,
      available,
      transferId,
    });
    this.name = 'InsufficientFunds';
  }
}

export class CreditsExceedDebits extends LedgerError {
  constructor(accountId: string, amount: bigint, headroom: bigint, transferId?: string) {
    super('CREDITS_EXCEED_DEBITS', `account ${accountId} may not be credited ${amount} (headroom ${headroom})`, {
      accountId,
      amount,
      headroom,
      transferId,
    });
    this.name = 'CreditsExceedDebits';
  }
}

export class LimitExceeded extends LedgerError {
  constructor(accountId: string, cap: bigint, balanceAfter: bigint, transferId?: string) {
    super('LIMIT_EXCEEDED', `account ${accountId} would hold ${balanceAfter} paise, above its cap of ${cap}`, {
      accountId,
      cap,
      balanceAfter,
      transferId,
    });
    this.name = 'LimitExceeded';
  }
}

export class AccountNotFound extends LedgerError {
  constructor(accountId: string, transferId?: string) {
    super('ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`, { accountId, transferId });
    this.name = 'AccountNotFound';
  }
}

export class AccountConflict extends LedgerError {
  constructor(accountId: string, field: string, existing: unknown, requested: unknown) {
    super('ACCOUNT_CONFLICT', `account ${accountId} already exists with a different ${field}`, {
      accountId,
      field,
      existing,
      requested,
    });
    this.name = 'AccountConflict';
  }
}

export class IdempotencyConflict extends LedgerError {
  constructor(transferId: string, field: string, existing: unknown, requested: unknown) {
    super('IDEMPOTENCY_CONFLICT', `transfer ${transferId} already exists with a different ${field}`, {
      transferId,
      field,
      existing,
      requested,
    });
    this.name = 'IdempotencyConflict';
  }
}

export class PendingNotFound extends LedgerError {
  constructor(pendingId: string, transferId?: string) {
    super('PENDING_NOT_FOUND', `no pending transfer ${pendingId}`, { pendingId, transferId });
    this.name = 'PendingNotFound';
  }
}

export class PendingAlreadyResolved extends LedgerError {
  constructor(pendingId: string, resolvedBy: string, resolution: string, transferId?: string) {
    super('PENDING_ALREADY_RESOLVED', `pending transfer ${pendingId} was already ${resolution} by ${resolvedBy}`, {
      pendingId,
      resolvedBy,
      resolution,
      transferId,
    });
    this.name = 'PendingAlreadyResolved';
  }
}

export class PendingExpired extends LedgerError {
  constructor(pendingId: string, expiresAt: Date, transferId?: string) {
    super('PENDING_EXPIRED', `pending transfer ${pendingId} expired at ${expiresAt.toISOString()}`, {
      pendingId,
      expiresAt,
      transferId,
    });
    this.name = 'PendingExpired';
  }
}

export class AlreadyReversed extends LedgerError {
  constructor(originalId: string, reversedBy: string, transferId?: string) {
    super('ALREADY_REVERSED', `transfer ${originalId} was already reversed by ${reversedBy}`, {
      originalId,
      reversedBy,
      transferId,
    });
    this.name = 'AlreadyReversed';
  }
}

export class InvalidTransfer extends LedgerError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('INVALID_TRANSFER', message, data);
    this.name = 'InvalidTransfer';
  }
}

export class LinkedTransferFailed extends LedgerError {
  constructor(transferId: string, failedId: string, failedCode: string) {
    super(
      'LINKED_TRANSFER_FAILED',
      `transfer ${transferId} not applied: linked transfer ${failedId} failed (${failedCode})`,
      {
        transferId,
        failedId,
        failedCode,
      },
    );
    this.name = 'LinkedTransferFailed';
  }
}

export class LedgerUnavailable extends LedgerError {
  constructor(message: string) {
    super('LEDGER_UNAVAILABLE', message);
    this.name = 'LedgerUnavailable';
  }
}

export function isLedgerError(e: unknown): e is LedgerError {
  return e instanceof LedgerError;
}

/** Rebuilds a LedgerError from its JSON form (e.g. a failed TransferResult). */
export function ledgerErrorFromJson(j: LedgerErrorJson): LedgerError {
  const e = new LedgerError(j.code as LedgerErrorCode, j.message, {});
  (e as { data: Record<string, unknown> }).data = { ...j.data };
  e.name = errorNames[j.code] ?? 'LedgerError';
  return e;
}

const errorNames: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'InsufficientFunds',
  CREDITS_EXCEED_DEBITS: 'CreditsExceedDebits',
  LIMIT_EXCEEDED: 'LimitExceeded',
  ACCOUNT_NOT_FOUND: 'AccountNotFound',
  ACCOUNT_CONFLICT: 'AccountConflict',
  IDEMPOTENCY_CONFLICT: 'IdempotencyConflict',
  PENDING_NOT_FOUND: 'PendingNotFound',
  PENDING_ALREADY_RESOLVED: 'PendingAlreadyResolved',
  PENDING_EXPIRED: 'PendingExpired',
  ALREADY_REVERSED: 'AlreadyReversed',
  INVALID_TRANSFER: 'InvalidTransfer',
  LINKED_TRANSFER_FAILED: 'LinkedTransferFailed',
  LEDGER_UNAVAILABLE: 'LedgerUnavailable',
};
