/**
 * The hash chain, computed and checked in PostgreSQL (one formula, so writer and verifier
 * cannot drift apart). Each posting batch stores one hash, on its last entry (the others hold
 * NULL): sha256 over the previous batch's hash, every entry of the batch (in seq order) and the
 * full content of every transfer of the batch (in the order of their debit entries), so altering,
 * deleting or reordering any entry, or any field of a transfer (amount, accounts, kind,
 * reference, metadata, links, times, cap exemption, balancing flags and bound) or the cap an
 * entry recorded, breaks the chain from that batch on.
 *
 * Entries written before batch hashing each carry their own hash (a batch of one entry):
 * sha256(entry content | previous hash). A batch always has at least two entries, so the number
 * of entries tells the two forms apart.
 */
export const GENESIS_HASH = '0'.repeat(64);

const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::bigint`;

/**
 * The content of an entry row aliased `e` (ids contain no '|'; every field but the cap is non-null).
 * The cap in force comes last and only when there is one (concat_ws skips NULLs), so entries of
 * uncapped accounts, and all entries written before caps were recorded, keep their content.
 */
export const ENTRY_CONTENT_SQL = `concat_ws('|', e.seq, e.transfer_id, e.account_id, e.side, e.posted_amount, e.pending_delta, e.balance_after, e.held_after, ${ms('e.created_at')}, e.balance_cap)`;

/**
 * The content of a transfer row aliased `t`; quoted so free text and NULLs cannot be confused.
 * The flags and the requested amount of a balancing transfer come last, only when one of them is
 * not the default (so transfers written before they existed keep their content), and then all
 * together, so that setting, clearing or altering any of them changes the content.
 */
export const TRANSFER_CONTENT_SQL = `concat_ws('|', quote_nullable(t.id), quote_nullable(t.type), quote_nullable(t.debit_account_id),
  quote_nullable(t.credit_account_id), quote_nullable(t.amount), quote_nullable(t.kind), quote_nullable(t.reference),
  quote_nullable(t.metadata::text), quote_nullable(t.pending_id), quote_nullable(t.reversal_of),
  quote_nullable(t.timeout_seconds), quote_nullable(${ms('t.expires_at')}), quote_nullable(${ms('t.created_at')}),
  case when t.exempt_from_cap or t.balancing_debit or t.balancing_credit or t.requested_amount is not null
    then concat_ws(',', 'flags', t.exempt_from_cap, t.balancing_debit, t.balancing_credit, quote_nullable(t.requested_amount)) end)`;

const sha256Hex = (text: string) => `encode(sha256(convert_to(${text}, 'UTF8')), 'hex')`;

/** Hash of a batch, given SQL expressions for the previous hash and the aggregated contents. */
export function batchHashSql(prev: string, entriesText: string, transfersText: string): string {
  return sha256Hex(`concat_ws('|', ${prev}, ${entriesText}, ${transfersText})`);
}

/** Hash of a single pre-batching entry, given its content and the previous hash. */
export function legacyEntryHashSql(content: string, prev: string): string {
  return sha256Hex(`concat_ws('|', ${content}, ${prev})`);
}
