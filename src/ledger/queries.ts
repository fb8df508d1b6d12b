/**
 * Read-only questions other modules ask the ledger (ops: the stuck list, reconciliation, dues).
 * Each takes a knex instance or transaction, so a caller can ask several within one snapshot.
 * Nothing outside src/ledger names the ledger tables or the id of a hold's post or void.
 */
import type { Knex } from 'knex';
import { toBig } from './store';

export interface OutstandingHold {
  id: string;
  amount: bigint;
  reference: string | null;
  createdAt: Date;
}

/** Pending transfers that no post or void has resolved, newest first; `ids` keeps only those. */
export async function outstandingHolds(db: Knex, filter: { ids?: readonly string[] } = {}): Promise<OutstandingHold[]> {
  if (filter.ids && filter.ids.length === 0) return [];
  const q = db('ledger_transfers as p')
    .where('p.type', 'pending')
    .whereNotExists(db('ledger_transfers as x').select(db.raw('1')).whereRaw('x.pending_id = p.id'))
    .orderBy([{ column: 'p.created_at', order: 'desc' }, { column: 'p.id' }])
    .select('p.id', 'p.amount', 'p.reference', 'p.created_at');
  if (filter.ids) q.whereRaw('p.id = any(?)', [[...filter.ids]]);
  const rows = (await q) as Array<{ id: string; amount: unknown; reference: string | null; created_at: Date }>;
  return rows.map((r) => ({ id: r.id, amount: toBig(r.amount), reference: r.reference, createdAt: r.created_at }));
}

/** Whether a post or void of the hold exists. */
export async function isHoldResolved(db: Knex, pendingId: string): Promise<boolean> {
  return (await db('ledger_transfers').where({ pending_id: pendingId }).first('id')) !== undefined;
}

export interface AccountBalanceRow {
  id: string;
  debitsPosted: bigint;
  creditsPosted: bigint;
  creditsPending: bigint;
  createdAt: Date;
}

/** Posted and pending totals of the accounts named, or of those whose id starts with `idPrefix`, by id. */
export async function accountBalances(
  db: Knex,
  filter: { ids: readonly string[] } | { idPrefix: string },
): Promise<AccountBalanceRow[]> {
  const q = db('ledger_accounts')
    .orderBy('id')
    .select('id', 'debits_posted', 'credits_posted', 'credits_pending', 'created_at');
  if ('ids' in filter) q.whereRaw('id = any(?)', [[...filter.ids]]);
  else q.whereLike('id', `${filter.idPrefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
  const rows = (await q) as Array<Record<string, unknown> & { id: string; created_at: Date }>;
  return rows.map((r) => ({
    id: r.id,
    debitsPosted: toBig(r.debits_posted),
    creditsPosted: toBig(r.credits_posted),
    creditsPending: toBig(r.credits_pending),
    createdAt: r.created_at,
  }));
}

/**
 * A subquery of the accounts of `kind` whose posted debits exceed their posted credits:
 * (id, balance = debits - credits, created_at). A subquery so that callers can total and page it
 * in the database.
 */
export function debitBalancesOfKind(db: Knex, kind: string): Knex.QueryBuilder {
  return db('ledger_accounts')
    .where({ kind })
    .whereRaw('debits_posted > credits_posted')
    .select('id', db.raw('debits_posted - credits_posted as balance'), 'created_at');
}

/**
 * What the transfers of one reference moved into one account, as a lateral subquery for callers
 * that join it per row: (net = posted credits to the account - posted debits from it, last_at =
 * the latest such transfer, n = how many). `reference` is an SQL expression, e.g. of the joined row.
 */
export function netIntoAccountByReference(db: Knex, accountId: string, reference: Knex.Raw): Knex.Raw {
  return db.raw(
    `select coalesce(sum(case when t.credit_account_id = ? then t.amount else -t.amount end), 0)::int8 as net,
            max(t.created_at) as last_at, count(*)::int as n
       from ledger_transfers t
      where t.reference = ? and t.type in ('posted', 'post')
        and (t.credit_account_id = ? or t.debit_account_id = ?)`,
    [accountId, reference, accountId, accountId],
  );
}

/**
 * The account's normal-side posted balance after its last entry written before `at` (0 before
 * its first): the balance at the start of a period that begins at `at`.
 */
export async function postedBalanceBefore(db: Knex, accountId: string, at: Date): Promise<bigint> {
  const row = (await db('ledger_entries')
    .where('account_id', accountId)
    .andWhere('created_at', '<', at)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'seq', order: 'desc' },
    ])
    .first('balance_after')) as { balance_after: unknown } | undefined;
  return row ? toBig(row.balance_after) : 0n;
}

export interface PostedTotal {
  side: 'debit' | 'credit';
  kind: string;
  amount: bigint;
  entries: number;
}

/** What was posted to one account in [from, to), by side and transfer kind (holds move nothing). */
export async function postedTotalsByKind(db: Knex, accountId: string, from: Date, to: Date): Promise<PostedTotal[]> {
  const rows = (await db('ledger_entries as e')
    .join('ledger_transfers as t', 't.id', 'e.transfer_id')
    .where('e.account_id', accountId)
    .andWhere('e.created_at', '>=', from)
    .andWhere('e.created_at', '<', to)
    .andWhere('e.posted_amount', '>', 0)
    .groupBy('e.side', 't.kind')
    .orderBy(['e.side', 't.kind'])
    .select(
      'e.side',
      't.kind',
      db.raw('sum(e.posted_amount)::int8 as amount'),
      db.raw('count(*)::int as n'),
    )) as Array<{
    side: 'debit' | 'credit';
    kind: string;
    amount: unknown;
    n: number;
  }>;
  return rows.map((r) => ({ side: r.side, kind: r.kind, amount: toBig(r.amount), entries: r.n }));
}

/**
 * A subquery of the single-phase transfers of `kind` made in [from, to): (id, debit_account_id,
 * credit_account_id, amount, reference, metadata, created_at), for callers that join and total
 * them in the database (reports).
 */
export function postedTransfersOfKind(db: Knex, kind: string, range: { from: Date; to: Date }): Knex.QueryBuilder {
  return db('ledger_transfers')
    .where({ kind, type: 'posted' })
    .andWhere('created_at', '>=', range.from)
    .andWhere('created_at', '<', range.to)
    .select('id', 'debit_account_id', 'credit_account_id', 'amount', 'reference', 'metadata', 'created_at');
}

/**
 * A subquery of the single-phase transfers of `kind` made in [from, to) that each take back an
 * earlier posted transfer, the one whose id their metadata names at `key` (a commission's
 * claw-back): (id, amount, reference, created_at) of the taking back, and the taken-back transfer's
 * credit_account_id, amount and metadata as of_credit_account_id, of_amount, of_metadata.
 */
export function postedTakeBacksOfKind(
  db: Knex,
  kind: string,
  key: string,
  range: { from: Date; to: Date },
): Knex.QueryBuilder {
  return db('ledger_transfers as k')
    .joinRaw("join ledger_transfers as o on o.id = k.metadata->>? and o.type = 'posted'", [key])
    .where({ 'k.kind': kind, 'k.type': 'posted' })
    .andWhere('k.created_at', '>=', range.from)
    .andWhere('k.created_at', '<', range.to)
    .select(
      'k.id',
      'k.amount',
      'k.reference',
      'k.created_at',
      'o.credit_account_id as of_credit_account_id',
      'o.amount as of_amount',
      'o.metadata as of_metadata',
    );
}

/**
 * A subquery of what was posted to the accounts whose id starts with `idPrefix` in [from, to),
 * one row per entry that moved money (holds move nothing): (account_id, transfer_id, side,
 * amount, created_at, kind, reference), for monitoring that totals and lists them in the database
 * (src/compliance: STR and CTR candidates).
 */
export function postedEntriesOfAccounts(
  db: Knex,
  idPrefix: string,
  range: { from: Date; to: Date },
): Knex.QueryBuilder {
  return db('ledger_entries as e')
    .join('ledger_transfers as t', 't.id', 'e.transfer_id')
    .whereLike('e.account_id', `${idPrefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)
    .andWhere('e.created_at', '>=', range.from)
    .andWhere('e.created_at', '<', range.to)
    .andWhere('e.posted_amount', '>', 0)
    .select(
      'e.account_id',
      'e.transfer_id',
      'e.side',
      'e.posted_amount as amount',
      'e.created_at',
      't.kind',
      't.reference',
    );
}
