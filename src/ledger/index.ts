/**
 * Tijori's double-entry ledger (PostgreSQL). Public API:
 *
 *   const ledger = new Ledger(db, { maxBatchTransfers?, maxInFlight?, lingerMs? });
 *   await ledger.ensureSystemAccounts(['airtel', 'jio']);
 *   await ledger.createAccounts([walletAccount(userId, { cap: 10_000_00n })], trx?);
 *   await ledger.createAccounts([duesAccount(userId)]);   // dues:<userId>, debit-normal: what the user owes
 *                                                          // (idempotent: safe to create lazily, concurrently)
 *   await ledger.setAccountCap(walletAccountId(userId), 20_000_00n);   // or null: no cap
 *   await ledger.getAccount(id)                      -> Account | null
 *
 *   // transfers (amounts: bigint paise > 0; ids: ^[A-Za-z0-9:_.\-]{1,160}$, the idempotency key)
 *   await ledger.createTransfer({ id, debitAccountId, creditAccountId, amount, kind, reference?, metadata? })  // posted
 *   await ledger.createTransfer({ ..., pending: true, timeoutSeconds? })                                      // hold
 *   await ledger.createTransfer({ id, post: true, pendingId, amount?, kind })                                 // post (full/partial)
 *   await ledger.createTransfer({ id, void: true, pendingId })                                                // void
 *   await ledger.createTransfer({ ..., reversalOf: originalId })      // correction (accounts swapped; once per original)
 *   await ledger.createTransfer({ ..., exemptFromCap: true })          // posted/pending: no balance cap refuses it
 *                                                                      // (refunds: caps limit loads, not refunds)
 *   await ledger.createTransfer({ ..., balancingDebit: true, balancingCredit?: true })  // posted only: `amount` is an
 *       // upper bound, clamped to the debit account's credits - debits - held and/or the credit account's
 *       // debits - credits - incoming holds (never below 0: a 0 transfer is recorded); the result's `amount`
 *       // is what moved, `requestedAmount` the bound. A replay (same id, same input) is 'exists' with that amount.
 *     -> Transfer & { created }   (created=false: idempotent replay); throws a typed LedgerError
 *   await ledger.createTransfers([t1, t2, t3])       // linked: all or nothing
 *     -> TransferResult[]: { status: 'created'|'exists', transfer } | { status: 'failed', error }
 *   await ledger.getTransfer(id), ledger.transfersByReference(ref)
 *   await ledger.voidExpiredPending(now?)           // for the scheduler
 *
 *   // balances
 *   await ledger.balance(id)        -> { posted, held, available }  (normal side; wallet: credits - debits)
 *   await ledger.balanceAt(id, at)  -> same, at a past instant
 *   await ledger.statement(id, { from?, to?, cursor?, limit?, order? }) -> { items, nextCursor }
 *
 *   await ledger.verify()  -> { ok, checkedAt, durationMs, accounts, transfers, entries, violations[] }
 *       // checks include balance_cap: no non-exempt transfer took an account above the cap in force
 *       // when it was posted (each entry records its account's cap then)
 *   await ledger.close()   // flush the batcher (does not destroy the knex instance)
 *
 * Errors: LedgerError subclasses with a stable `code` (LedgerErrorCode) and JSON-safe `data`;
 * rebuild one from JSON with ledgerErrorFromJson. Concurrent createTransfers calls in one
 * process are batched into shared database transactions (see posting.ts, batcher.ts).
 */
export { Ledger, expiryVoidId, type LedgerOptions, type VoidExpiredResult } from './ledger';
export {
  systemAccounts,
  providerSettlementAccount,
  walletAccountId,
  walletAccount,
  duesAccountId,
  duesAccount,
  systemAccountInputs,
  ID_PATTERN,
  KIND_PATTERN,
} from './accounts';
export * from './errors';
export type * from './types';
export { verifyLedger } from './verify';
export {
  outstandingHolds,
  isHoldResolved,
  accountBalances,
  debitBalancesOfKind,
  netIntoAccountByReference,
  postedBalanceBefore,
  postedTotalsByKind,
  postedTransfersOfKind,
  postedTakeBacksOfKind,
  postedEntriesOfAccounts,
  type OutstandingHold,
  type AccountBalanceRow,
  type PostedTotal,
} from './queries';
export type { PhaseObserver, PostingPhase } from './posting';
