import crypto from 'node:crypto';

/**
 * The entry hash chain. Each entry's hash covers its content and its predecessor's hash
 * (in global `seq` order), so altering, deleting or reordering any entry breaks the chain from
 * that point on. The same formula is evaluated in SQL by verify() (see HASH_SQL_EXPR), so the
 * content string must only use values whose text form is identical in JS and PostgreSQL:
 * integers in decimal, ids (no '|' allowed by the id pattern), timestamps as epoch milliseconds.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashableEntry {
  seq: bigint;
  transferId: string;
  accountId: string;
  side: 'debit' | 'credit';
  postedAmount: bigint;
  pendingDelta: bigint;
  balanceAfter: bigint;
  heldAfter: bigint;
  createdAtMs: number;
}

export function entryContent(e: HashableEntry, prevHash: string): string {
  return `${e.seq}|${e.transferId}|${e.accountId}|${e.side}|${e.postedAmount}|${e.pendingDelta}|${e.balanceAfter}|${e.heldAfter}|${e.createdAtMs}|${prevHash}`;
}

export function entryHash(e: HashableEntry, prevHash: string): string {
  const content = entryContent(e, prevHash);
  // crypto.hash (one-shot, no Hash object) where the runtime has it; same digest either way
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', content, 'hex')
    : crypto.createHash('sha256').update(content).digest('hex');
}

/**
 * SQL expression computing the hash of an entry row aliased `e`, given `prev` (an SQL
 * expression for the predecessor's hash). Must stay in step with entryContent().
 */
export function hashSqlExpr(prev: string): string {
  return `encode(sha256(convert_to(concat_ws('|', e.seq, e.transfer_id, e.account_id, e.side, e.posted_amount, e.pending_delta, e.balance_after, e.held_after, (extract(epoch from e.created_at) * 1000)::bigint, ${prev}), 'UTF8')), 'hex')`;
}
