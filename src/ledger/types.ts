/**
 * Public data types of the ledger. Money is always bigint paise.
 */
import type { LedgerError } from './errors';

export type NormalSide = 'debit' | 'credit';

export interface AccountFlags {
  /** Wallets: debits_posted + debits_pending may never exceed credits_posted (no negative balance). */
  debitsMustNotExceedCredits?: boolean;
  /** The mirror rule: credits_posted + credits_pending may never exceed debits_posted. */
  creditsMustNotExceedDebits?: boolean;
}

export interface AccountInput {
  /** Caller-chosen id, e.g. 'wallet:<userId>'; pattern ^[A-Za-z0-9:_.\-]{1,160}$. */
  id: string;
  /** Account code/kind, e.g. 'wallet', 'platform_float'. */
  kind: string;
  owner?: string | null;
  /**
   * Which side grows the balance reported by balance()/statements. Defaults to 'credit'
   * (a liability such as a wallet), or 'debit' when creditsMustNotExceedDebits is set.
   */
  normalSide?: NormalSide;
  flags?: AccountFlags;
  /** Balance cap in paise (KYC tier); null/undefined = no cap. Updatable via setAccountCap. */
  cap?: bigint | null;
  metadata?: Record<string, unknown>;
}

export interface Account {
  id: string;
  kind: string;
  owner: string | null;
  normalSide: NormalSide;
  flags: Required<AccountFlags>;
  cap: bigint | null;
  metadata: Record<string, unknown>;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
  createdAt: Date;
}

export interface Balance {
  /** Normal-side posted balance (wallet: credits_posted - debits_posted). */
  posted: bigint;
  /** Outgoing holds (wallet: debits_pending). */
  held: bigint;
  /** posted - held. */
  available: bigint;
}

/**
 * TigerBeetle's vocabulary: a single-phase transfer moves money at once; a pending one holds it
 * until one post_pending (all or part of it) or void_pending (all of it) resolves it.
 * ledger_transfers.type stores older codes for these (store.ts).
 */
export type TransferType = 'single_phase' | 'pending' | 'post_pending' | 'void_pending';

interface TransferInputBase {
  /** Caller-chosen unique id (the idempotency key); pattern ^[A-Za-z0-9:_.\-]{1,160}$. */
  id: string;
  /** Transfer code/kind, e.g. 'topup', 'recharge_hold', 'commission'. */
  kind: string;
  reference?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * Single-phase transfer: posted at once. `reversalOf` makes it the (only) correction of another transfer.
 *
 * Balancing (TigerBeetle's balancing_debit / balancing_credit): `amount` becomes an upper bound and
 * the amount posted is clamped to what the debit account has available
 * (credits_posted - debits_posted - debits_pending, at least 0) with `balancingDebit`, and/or to
 * what the credit account can take (debits_posted - credits_posted - credits_pending, at least 0)
 * with `balancingCredit`. The clamp may reach 0: the zero-amount transfer is still recorded, so a
 * replay returns the same result. The clamp is computed from the balances at the transfer's turn
 * (after the earlier transfers of its linked batch). Balance caps are not clamped to: they refuse
 * (LIMIT_EXCEEDED) as usual unless `exemptFromCap`. A balancing transfer cannot be a reversal.
 */
export interface SinglePhaseTransferInput extends TransferInputBase {
  debitAccountId: string;
  creditAccountId: string;
  /** The amount; with a balancing flag, the most to move. */
  amount: bigint;
  pending?: false;
  reversalOf?: string;
  /** Not refused by either account's balance cap (refunds: caps limit loads, not refunds). */
  exemptFromCap?: boolean;
  balancingDebit?: boolean;
  balancingCredit?: boolean;
}

/**
 * Two-phase, first phase: a hold. It is voided automatically by voidExpiredPending() after timeoutSeconds.
 * A hold reserves room under the credit account's cap; `exemptFromCap` waives the cap for it (its
 * post then needs nothing more: a post never grows a balance beyond its hold).
 */
export interface PendingTransferInput extends TransferInputBase {
  debitAccountId: string;
  creditAccountId: string;
  amount: bigint;
  pending: true;
  timeoutSeconds?: number;
  exemptFromCap?: boolean;
}

/** Two-phase, second phase: post the hold (full, or `amount` <= the held amount). */
export interface PostPendingInput extends TransferInputBase {
  post: true;
  pendingId: string;
  amount?: bigint;
  /** Optional; if given they must equal the pending transfer's accounts. */
  debitAccountId?: string;
  creditAccountId?: string;
}

/** Two-phase, second phase: release the hold. */
export interface VoidPendingInput extends Omit<TransferInputBase, 'kind'> {
  void: true;
  pendingId: string;
  kind?: string;
  debitAccountId?: string;
  creditAccountId?: string;
}

export type TransferInput = SinglePhaseTransferInput | PendingTransferInput | PostPendingInput | VoidPendingInput;

export interface Transfer {
  id: string;
  type: TransferType;
  debitAccountId: string;
  creditAccountId: string;
  /** single_phase/pending: the amount (balancing: as clamped, maybe 0); post_pending: the amount posted; void_pending: the amount released. */
  amount: bigint;
  kind: string;
  reference: string | null;
  metadata: Record<string, unknown>;
  pendingId: string | null;
  reversalOf: string | null;
  /** The transfer was not subject to balance caps. */
  exemptFromCap: boolean;
  balancingDebit: boolean;
  balancingCredit: boolean;
  /** Balancing transfers: the upper bound asked for (the input's amount); otherwise null. */
  requestedAmount: bigint | null;
  timeoutSeconds: number | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface LedgerErrorJson {
  code: string;
  message: string;
  data: Record<string, unknown>;
}

export type TransferResult =
  | { id: string; status: 'created' | 'exists'; transfer: Transfer }
  /** error is a typed LedgerError (its toJSON() gives {code, message, data}). */
  | { id: string; status: 'failed'; error: LedgerError };

export interface StatementItem {
  seq: bigint;
  transferId: string;
  at: Date;
  kind: string;
  type: TransferType;
  /** Posted amount moved on this side, or for holds/voids the held amount change (absolute). */
  amount: bigint;
  direction: 'debit' | 'credit';
  balanceAfter: bigint;
  heldAfter: bigint;
  reference: string | null;
}

export interface StatementQuery {
  from?: Date;
  /** Exclusive. */
  to?: Date;
  cursor?: string | null;
  limit?: number;
  /** Default 'desc' (newest first). */
  order?: 'asc' | 'desc';
}

export interface Statement {
  items: StatementItem[];
  nextCursor: string | null;
}

export interface Violation {
  check: string;
  message: string;
  accountId?: string;
  transferId?: string;
  seq?: string;
  [k: string]: unknown;
}

export interface VerifyReport {
  ok: boolean;
  checkedAt: string;
  durationMs: number;
  accounts: number;
  transfers: number;
  entries: number;
  violations: Violation[];
}
