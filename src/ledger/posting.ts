/**
 * The posting path: one database transaction for a batch of requests (each request a linked,
 * all-or-nothing list of transfers, possibly from different callers).
 *
 *   1. BEGIN; lock the single chain-head row. Every posting transaction, from every process,
 *      takes this lock first and only then touches accounts, so postings are serialized and
 *      cannot deadlock with each other; account totals change only on this path (guard trigger),
 *      hence the totals read after the lock are current without locking the account rows.
 *   2. read, under that lock, the batch's ids (idempotency), referenced pendings, resolutions and
 *      reversals, then the touched accounts (including the referenced pendings' accounts)
 *   3. validate and apply in memory, in order (engine.ts); failing requests leave no trace
 *   4. one set-based statement writes transfers and entries, computes the batch's chain hash in
 *      SQL (hash-chain.ts), updates the accounts' totals and moves the chain head. The account
 *      UPDATE only matches rows whose cap and flags are still the ones validated against (they
 *      are updatable outside the posting path); if any changed meanwhile, the batch is retried.
 *   5. COMMIT
 * A unique violation (a concurrent duplicate from another process), deadlock or serialization
 * failure also retries the whole batch; the re-read in step 2 then sees the winner.
 */
import type { Knex } from 'knex';
import { applyRequests, type AccountState, type BatchOutput, type EngineContext, type NormalizedInput } from './engine';
import { LedgerError } from './errors';
import { batchHashSql, ENTRY_CONTENT_SQL, TRANSFER_CONTENT_SQL } from './hash-chain';
import {
  boolArray,
  isRetryable,
  numArray,
  rowToTransfer,
  safeTextArray,
  storedTransferType,
  textArray,
  toBig,
  withConnection,
  type PgConn,
  type QueryResult,
} from './store';
import type { Transfer, TransferResult } from './types';

export type Request = Array<NormalizedInput | LedgerError>;

const MAX_ATTEMPTS = 8;

const SQL_LOCK_HEAD = `select last_seq, last_hash,
  (extract(epoch from last_at) * 1000)::bigint as last_ms,
  (extract(epoch from clock_timestamp()) * 1000)::bigint as now_ms,
  set_config('tijori.ledger_posting', 'on', true) as posting
  from ledger_chain_head where id = 1 for update`;
const SQL_STATE = `select * from ledger_transfers
  where id = any($1::text[]) or pending_id = any($2::text[]) or reversal_of = any($3::text[])`;
const SQL_ACCOUNTS = `select id, normal_side, debits_must_not_exceed_credits, credits_must_not_exceed_debits, balance_cap,
  debits_posted, credits_posted, debits_pending, credits_pending
  from ledger_accounts where id = any($1::text[])`;
const SQL_WRITE = `
with tin as (
  select u.id, u.type, u.debit_account_id, u.credit_account_id, u.amount, u.kind, u.reference, u.metadata::jsonb as metadata,
         u.pending_id, u.reversal_of, u.timeout_seconds, u.expires_at, $13::timestamptz as created_at,
         u.exempt_from_cap, u.balancing_debit, u.balancing_credit, u.requested_amount, u.ord
  from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::int4[], $12::timestamptz[], $33::bool[], $34::bool[], $35::bool[], $36::int8[])
       with ordinality
       as u(id, type, debit_account_id, credit_account_id, amount, kind, reference, metadata, pending_id, reversal_of,
            timeout_seconds, expires_at, exempt_from_cap, balancing_debit, balancing_credit, requested_amount, ord)
), ein as (
  select u.*, $13::timestamptz as created_at
  from unnest($14::int8[], $15::text[], $16::text[], $17::text[], $18::int8[], $19::int8[], $20::int8[], $21::int8[],
              $37::int8[])
       as u(seq, transfer_id, account_id, side, posted_amount, pending_delta, balance_after, held_after, balance_cap)
), h as (
  select ${batchHashSql(
    '$22::text',
    `(select string_agg(${ENTRY_CONTENT_SQL}, '|' order by e.seq) from ein e)`,
    `(select string_agg(${TRANSFER_CONTENT_SQL}, '|' order by t.ord) from tin t)`,
  )} as hash
), t as (
  insert into ledger_transfers (id, type, debit_account_id, credit_account_id, amount, kind, reference, metadata,
                                pending_id, reversal_of, timeout_seconds, expires_at, created_at,
                                exempt_from_cap, balancing_debit, balancing_credit, requested_amount)
  select id, type, debit_account_id, credit_account_id, amount, kind, reference, metadata,
         pending_id, reversal_of, timeout_seconds, expires_at, created_at,
         exempt_from_cap, balancing_debit, balancing_credit, requested_amount from tin
), e as (
  insert into ledger_entries (seq, transfer_id, account_id, side, posted_amount, pending_delta, balance_after, held_after, created_at,
                              balance_cap, hash)
  select e.seq, e.transfer_id, e.account_id, e.side, e.posted_amount, e.pending_delta, e.balance_after, e.held_after, e.created_at,
         e.balance_cap, case when e.seq = $23::int8 then (select hash from h) end
  from ein e
), a as (
  update ledger_accounts a
     set debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dpe, credits_pending = u.cpe, updated_at = $13::timestamptz
    from unnest($24::text[], $25::int8[], $26::int8[], $27::int8[], $28::int8[], $29::int8[], $30::bool[], $31::bool[])
         as u(id, dp, cp, dpe, cpe, cap, dm, cm)
   where a.id = u.id and a.balance_cap is not distinct from u.cap
     and a.debits_must_not_exceed_credits = u.dm and a.credits_must_not_exceed_debits = u.cm
  returning 1
)
update ledger_chain_head set last_seq = $23::int8, last_hash = (select hash from h), last_at = $13::timestamptz
 where id = 1 and (select count(*) from a) = $32::int8
returning last_hash`;

export type PostingPhase =
  'lockHead' | 'readState' | 'readAccounts' | 'accountsToMemory' | 'validate' | 'serialize' | 'write' | 'commit';
/** Told how long (ms) each phase of a posting transaction took (benchmarks). */
export type PhaseObserver = (phase: PostingPhase, ms: number) => void;

/** Marks the end of each phase; without an observer, does nothing. */
function phaseClock(observe: PhaseObserver | undefined): (phase: PostingPhase) => void {
  if (!observe) return () => undefined;
  let since = performance.now();
  return (phase) => {
    const now = performance.now();
    observe(phase, now - since);
    since = now;
  };
}

export interface BatchStats {
  attempts: number;
  transfersWritten: number;
}

export async function executeBatch(
  db: Knex,
  requests: Request[],
  stats?: BatchStats,
  onPhase?: PhaseObserver,
): Promise<TransferResult[][]> {
  const inputs: NormalizedInput[] = [];
  for (const r of requests) for (const i of r) if (!(i instanceof LedgerError)) inputs.push(i);
  if (inputs.length === 0) {
    // nothing valid to look at: every request fails on shape alone
    return applyRequests(emptyContext(new Date()), requests).results;
  }
  const accountIds = new Set<string>();
  const ids = new Set<string>();
  const pendingRefs = new Set<string>();
  const reversalRefs = new Set<string>();
  for (const t of inputs) {
    ids.add(t.id);
    if (t.debitAccountId) accountIds.add(t.debitAccountId);
    if (t.creditAccountId) accountIds.add(t.creditAccountId);
    if (t.pendingId) pendingRefs.add(t.pendingId);
    if (t.reversalOf) reversalRefs.add(t.reversalOf);
  }
  const refs: Refs = {
    accountIds,
    stateIds: safeTextArray([...new Set([...ids, ...pendingRefs, ...reversalRefs])]),
    pendingRefs,
    pendingArray: safeTextArray([...pendingRefs]),
    reversalArray: safeTextArray([...reversalRefs]),
  };

  return withConnection(db, async (conn) => {
    for (let attempt = 1; ; attempt++) {
      if (stats) stats.attempts = attempt;
      try {
        return await runOnce(conn, requests, refs, stats, onPhase);
      } catch (e) {
        await conn.query('rollback').catch(() => undefined);
        if (attempt < MAX_ATTEMPTS && (e instanceof AccountsChanged || isRetryable(e))) continue;
        throw e;
      }
    }
  });
}

interface Refs {
  accountIds: ReadonlySet<string>;
  stateIds: string;
  pendingRefs: ReadonlySet<string>;
  pendingArray: string;
  reversalArray: string;
}

class AccountsChanged extends Error {
  constructor() {
    super("an account's cap or flags changed while its batch was being validated");
  }
}

function emptyContext(now: Date): EngineContext {
  return { now, accounts: new Map(), transfers: new Map(), resolutions: new Map(), reversals: new Map() };
}

async function runOnce(
  conn: PgConn,
  requests: Request[],
  refs: Refs,
  stats?: BatchStats,
  onPhase?: PhaseObserver,
): Promise<TransferResult[][]> {
  const tick = phaseClock(onPhase);
  await conn.query('begin');
  const headRes = await conn.query({ name: 'ledger_lock_head', text: SQL_LOCK_HEAD, values: [] });
  tick('lockHead');
  const head = headRes.rows[0];
  if (!head) throw new Error('ledger_chain_head row is missing (migrations not run?)');
  const nowMs = Math.max(Number(toBig(head.now_ms)), Number(toBig(head.last_ms)));
  const ctx = emptyContext(new Date(nowMs));

  const st = await conn.query({
    name: 'ledger_state',
    text: SQL_STATE,
    values: [refs.stateIds, refs.pendingArray, refs.reversalArray],
  });
  tick('readState');
  const accountIds = loadTransfers(ctx, st.rows, refs);
  const acc = await conn.query({
    name: 'ledger_accounts',
    text: SQL_ACCOUNTS,
    values: [safeTextArray([...accountIds])],
  });
  tick('readAccounts');
  loadAccounts(ctx, acc.rows);
  tick('accountsToMemory');

  const out = applyRequests(ctx, requests);
  tick('validate');
  if (out.transfers.length === 0) {
    await conn.query('rollback');
    return out.results;
  }

  const values = writeParameters(out, ctx, toBig(head.last_seq), head.last_hash as string, nowMs);
  tick('serialize');
  const w = await conn.query({ name: 'ledger_write', text: SQL_WRITE, values });
  tick('write');
  if (w.rowCount !== 1) throw new AccountsChanged();
  await conn.query('commit');
  tick('commit');
  if (stats) stats.transfersWritten = out.transfers.length;
  return out.results;
}

/**
 * Puts the transfers read into the context (the batch's ids, referenced holds and their
 * resolutions, reversals) and returns the accounts to read: the batch's and its holds'.
 */
function loadTransfers(ctx: EngineContext, rows: QueryResult['rows'], refs: Refs): Set<string> {
  const accountIds = new Set(refs.accountIds);
  for (const r of rows) {
    const tr: Transfer = rowToTransfer(r);
    ctx.transfers.set(tr.id, tr);
    if (tr.pendingId) ctx.resolutions.set(tr.pendingId, tr);
    if (tr.reversalOf) ctx.reversals.set(tr.reversalOf, tr.id);
    if (tr.type === 'pending' && refs.pendingRefs.has(tr.id)) {
      accountIds.add(tr.debitAccountId);
      accountIds.add(tr.creditAccountId);
    }
  }
  return accountIds;
}

function loadAccounts(ctx: EngineContext, rows: QueryResult['rows']): void {
  for (const r of rows) {
    const s: AccountState = {
      id: r.id as string,
      normalSide: r.normal_side as 'debit' | 'credit',
      debitsMustNotExceedCredits: Boolean(r.debits_must_not_exceed_credits),
      creditsMustNotExceedDebits: Boolean(r.credits_must_not_exceed_debits),
      cap: r.balance_cap === null ? null : toBig(r.balance_cap),
      debitsPosted: toBig(r.debits_posted),
      creditsPosted: toBig(r.credits_posted),
      debitsPending: toBig(r.debits_pending),
      creditsPending: toBig(r.credits_pending),
    };
    ctx.accounts.set(s.id, s);
  }
}

/**
 * SQL_WRITE's parameters: the new transfers, their entries numbered on from the chain head's
 * last seq, the chain head's hash, and the touched accounts' new totals with the cap and flags
 * they were validated against.
 */
function writeParameters(out: BatchOutput, ctx: EngineContext, lastSeq: bigint, lastHash: string, nowMs: number) {
  let seq = lastSeq;
  const ts = out.transfers;
  const es = out.entries;
  const n = es.length;
  const eSeq = new Array<bigint>(n);
  for (let i = 0; i < n; i++) eSeq[i] = ++seq;
  const accs = [...out.touched].map((id) => ctx.accounts.get(id)!);
  // Array parameters are sent as PostgreSQL array literals built here: ids, kinds and types
  // are pattern-validated (no quotes or backslashes), free text is escaped.
  return [
    safeTextArray(ts.map((x) => x.id)),
    safeTextArray(ts.map((x) => storedTransferType(x.type))),
    safeTextArray(ts.map((x) => x.debitAccountId)),
    safeTextArray(ts.map((x) => x.creditAccountId)),
    numArray(ts.map((x) => x.amount)),
    safeTextArray(ts.map((x) => x.kind)),
    textArray(ts.map((x) => x.reference)),
    textArray(ts.map((x) => (Object.keys(x.metadata).length ? JSON.stringify(x.metadata) : '{}'))),
    safeTextArray(ts.map((x) => x.pendingId)),
    safeTextArray(ts.map((x) => x.reversalOf)),
    numArray(ts.map((x) => x.timeoutSeconds)),
    safeTextArray(ts.map((x) => (x.expiresAt ? x.expiresAt.toISOString() : null))),
    new Date(nowMs),
    numArray(eSeq),
    safeTextArray(es.map((e) => e.transferId)),
    safeTextArray(es.map((e) => e.accountId)),
    safeTextArray(es.map((e) => e.side)),
    numArray(es.map((e) => e.postedAmount)),
    numArray(es.map((e) => e.pendingDelta)),
    numArray(es.map((e) => e.balanceAfter)),
    numArray(es.map((e) => e.heldAfter)),
    lastHash,
    seq.toString(),
    safeTextArray(accs.map((a) => a.id)),
    numArray(accs.map((a) => a.debitsPosted)),
    numArray(accs.map((a) => a.creditsPosted)),
    numArray(accs.map((a) => a.debitsPending)),
    numArray(accs.map((a) => a.creditsPending)),
    numArray(accs.map((a) => a.cap)),
    boolArray(accs.map((a) => a.debitsMustNotExceedCredits)),
    boolArray(accs.map((a) => a.creditsMustNotExceedDebits)),
    accs.length,
    boolArray(ts.map((x) => x.exemptFromCap)),
    boolArray(ts.map((x) => x.balancingDebit)),
    boolArray(ts.map((x) => x.balancingCredit)),
    numArray(ts.map((x) => x.requestedAmount)),
    numArray(es.map((e) => e.cap)),
  ];
}
