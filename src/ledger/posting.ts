/**
 * The posting path: one database transaction for a batch of requests (each request a linked,
 * all-or-nothing list of transfers, possibly from different callers).
 *
 *   1. look up referenced pending transfers (immutable rows, no lock needed) to learn their accounts
 *   2. BEGIN; lock every touched account with one SELECT ... ORDER BY id FOR UPDATE (fixed order:
 *      no deadlocks), then the single chain-head row (always last)
 *   3. read, under those locks, the batch's ids (idempotency), resolutions and reversals
 *   4. validate and apply in memory, in order (engine.ts); failing requests leave no trace
 *   5. write with set-based statements: one insert for transfers, one for entries (numbered and
 *      hash-chained here), one UPDATE ... FROM unnest for accounts, one for the chain head
 *   6. COMMIT
 * A unique violation (a concurrent duplicate from another process), deadlock or serialization
 * failure retries the whole batch; the re-read in step 3 then sees the winner.
 */
import type { Knex } from 'knex';
import { applyRequests, type AccountState, type EngineContext, type NormalizedInput } from './engine';
import { LedgerError } from './errors';
import { entryHash } from './hash-chain';
import {
  isRetryable,
  numArray,
  rowToTransfer,
  safeTextArray,
  textArray,
  toBig,
  withConnection,
  type PgConn,
} from './store';
import type { Transfer, TransferResult } from './types';

export type Request = Array<NormalizedInput | LedgerError>;

const MAX_ATTEMPTS = 8;

const SQL_PENDINGS = `select id, debit_account_id, credit_account_id from ledger_transfers where id = any($1::text[])`;
const SQL_LOCK_ACCOUNTS = `select id, normal_side, debits_must_not_exceed_credits, credits_must_not_exceed_debits, balance_cap,
  debits_posted, credits_posted, debits_pending, credits_pending
  from ledger_accounts where id = any($1::text[]) order by id for update`;
const SQL_LOCK_HEAD = `select last_seq, last_hash,
  (extract(epoch from last_at) * 1000)::bigint as last_ms,
  (extract(epoch from clock_timestamp()) * 1000)::bigint as now_ms,
  set_config('tijori.ledger_posting', 'on', true) as posting
  from ledger_chain_head where id = 1 for update`;
const SQL_STATE = `select * from ledger_transfers
  where id = any($1::text[]) or pending_id = any($2::text[]) or reversal_of = any($3::text[])`;
const SQL_WRITE = `
with t as (
  insert into ledger_transfers (id, type, debit_account_id, credit_account_id, amount, kind, reference, metadata,
                                pending_id, reversal_of, timeout_seconds, expires_at, created_at)
  select u.id, u.type, u.d, u.c, u.amount, u.kind, u.reference, u.metadata::jsonb, u.pending_id, u.reversal_of,
         u.timeout_seconds, u.expires_at, $13::timestamptz
  from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::int4[], $12::timestamptz[])
       as u(id, type, d, c, amount, kind, reference, metadata, pending_id, reversal_of, timeout_seconds, expires_at)
), e as (
  insert into ledger_entries (seq, transfer_id, account_id, side, posted_amount, pending_delta, balance_after, held_after, created_at, hash)
  select u.seq, u.transfer_id, u.account_id, u.side, u.posted_amount, u.pending_delta, u.balance_after, u.held_after, $13::timestamptz, u.hash
  from unnest($14::int8[], $15::text[], $16::text[], $17::text[], $18::int8[], $19::int8[], $20::int8[], $21::int8[], $22::text[])
       as u(seq, transfer_id, account_id, side, posted_amount, pending_delta, balance_after, held_after, hash)
), a as (
  update ledger_accounts a
     set debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dpe, credits_pending = u.cpe, updated_at = $13::timestamptz
    from unnest($23::text[], $24::int8[], $25::int8[], $26::int8[], $27::int8[]) as u(id, dp, cp, dpe, cpe)
   where a.id = u.id
)
update ledger_chain_head set last_seq = $28::int8, last_hash = $29, last_at = $13::timestamptz where id = 1`;

/** Cumulative time (ms) spent in each phase of the posting path, for benchmarks. */
export const phaseTimings: Record<string, number> = {};
function tick(phase: string, since: number): number {
  const now = performance.now();
  phaseTimings[phase] = (phaseTimings[phase] ?? 0) + (now - since);
  return now;
}

export interface BatchStats {
  attempts: number;
  transfersWritten: number;
}

export async function executeBatch(db: Knex, requests: Request[], stats?: BatchStats): Promise<TransferResult[][]> {
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
  const batchPendings = new Map<string, NormalizedInput>();
  for (const t of inputs) {
    ids.add(t.id);
    if (t.debitAccountId) accountIds.add(t.debitAccountId);
    if (t.creditAccountId) accountIds.add(t.creditAccountId);
    if (t.pendingId) pendingRefs.add(t.pendingId);
    if (t.reversalOf) reversalRefs.add(t.reversalOf);
    if (t.type === 'pending') batchPendings.set(t.id, t);
  }

  return withConnection(db, async (conn) => {
    // 1. accounts of referenced pendings (immutable rows)
    const lookup = [...pendingRefs].filter((id) => !batchPendings.has(id));
    if (lookup.length) {
      const r = await conn.query({ name: 'ledger_pendings', text: SQL_PENDINGS, values: [safeTextArray(lookup)] });
      for (const row of r.rows) {
        accountIds.add(row.debit_account_id as string);
        accountIds.add(row.credit_account_id as string);
      }
    }
    const stateIds = [...new Set([...ids, ...pendingRefs, ...reversalRefs])];
    for (let attempt = 1; ; attempt++) {
      if (stats) stats.attempts = attempt;
      try {
        const sortedAccounts = [...accountIds].sort();
        return await runOnce(conn, requests, sortedAccounts, stateIds, [...pendingRefs], [...reversalRefs], stats);
      } catch (e) {
        await conn.query('rollback').catch(() => undefined);
        if (e instanceof MissingLocks) {
          // a referenced pending appeared after step 1 (created concurrently): lock its accounts too
          for (const id of e.accountIds) accountIds.add(id);
          if (attempt < MAX_ATTEMPTS) continue;
        }
        if (attempt < MAX_ATTEMPTS && isRetryable(e)) continue;
        throw e;
      }
    }
  });
}

class MissingLocks extends Error {
  constructor(readonly accountIds: string[]) {
    super('accounts of a referenced pending transfer were not locked');
  }
}

function emptyContext(now: Date): EngineContext {
  return { now, accounts: new Map(), transfers: new Map(), resolutions: new Map(), reversals: new Map() };
}

async function runOnce(
  conn: PgConn,
  requests: Request[],
  accountIds: string[],
  stateIds: string[],
  pendingRefs: string[],
  reversalRefs: string[],
  stats?: BatchStats,
): Promise<TransferResult[][]> {
  let t = performance.now();
  await conn.query('begin');
  const acc = await conn.query({
    name: 'ledger_lock_accounts',
    text: SQL_LOCK_ACCOUNTS,
    values: [safeTextArray(accountIds)],
  });
  t = tick('lockAccounts', t);
  const headRes = await conn.query({ name: 'ledger_lock_head', text: SQL_LOCK_HEAD, values: [] });
  t = tick('lockHead', t);
  const head = headRes.rows[0];
  if (!head) throw new Error('ledger_chain_head row is missing (migrations not run?)');
  const nowMs = Math.max(Number(toBig(head.now_ms)), Number(toBig(head.last_ms)));
  const ctx = emptyContext(new Date(nowMs));
  for (const r of acc.rows) {
    const s: AccountState = {
      id: r.id as string,
      normalSide: r.normal_side as 'debit' | 'credit',
      debitsMustNotExceedCredits: Boolean(r.debits_must_not_exceed_credits),
      creditsMustNotExceedDebits: Boolean(r.credits_must_not_exceed_debits),
      cap: r.balance_cap === null ? null : toBig(r.balance_cap),
      dp: toBig(r.debits_posted),
      cp: toBig(r.credits_posted),
      dpe: toBig(r.debits_pending),
      cpe: toBig(r.credits_pending),
    };
    ctx.accounts.set(s.id, s);
  }
  t = tick('accountsToMemory', t);
  const st = await conn.query({
    name: 'ledger_state',
    text: SQL_STATE,
    values: [safeTextArray(stateIds), safeTextArray(pendingRefs), safeTextArray(reversalRefs)],
  });
  t = tick('readState', t);
  const rows: Transfer[] = st.rows.map(rowToTransfer);
  for (const t of rows) ctx.transfers.set(t.id, t);
  const missing: string[] = [];
  const pendingSet = new Set(pendingRefs);
  const lockSet = new Set(accountIds);
  for (const t of rows) {
    if (t.pendingId) ctx.resolutions.set(t.pendingId, t);
    if (t.reversalOf) ctx.reversals.set(t.reversalOf, t.id);
    if (t.type === 'pending' && pendingSet.has(t.id)) {
      if (!lockSet.has(t.debitAccountId)) missing.push(t.debitAccountId);
      if (!lockSet.has(t.creditAccountId)) missing.push(t.creditAccountId);
    }
  }
  if (missing.length) throw new MissingLocks(missing);

  const out = applyRequests(ctx, requests);
  t = tick('validate', t);
  if (out.transfers.length === 0) {
    await conn.query('rollback');
    return out.results;
  }

  // number and chain the entries
  let seq = toBig(head.last_seq);
  let prev = head.last_hash as string;
  const n = out.entries.length;
  const eSeq = new Array<bigint>(n);
  const eHash = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const e = out.entries[i]!;
    seq += 1n;
    prev = entryHash({ ...e, seq, createdAtMs: nowMs }, prev);
    eSeq[i] = seq;
    eHash[i] = prev;
  }
  t = tick('hash', t);
  const ts = out.transfers;
  const es = out.entries;
  const accs = [...out.touched].map((id) => ctx.accounts.get(id)!);
  const when = new Date(nowMs);
  // Array parameters are sent as PostgreSQL array literals built here: ids, kinds and types
  // are pattern-validated (no quotes or backslashes), free text is escaped.
  const values = [
    safeTextArray(ts.map((x) => x.id)),
    safeTextArray(ts.map((x) => x.type)),
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
    when,
    numArray(eSeq),
    safeTextArray(es.map((e) => e.transferId)),
    safeTextArray(es.map((e) => e.accountId)),
    safeTextArray(es.map((e) => e.side)),
    numArray(es.map((e) => e.postedAmount)),
    numArray(es.map((e) => e.pendingDelta)),
    numArray(es.map((e) => e.balanceAfter)),
    numArray(es.map((e) => e.heldAfter)),
    safeTextArray(eHash),
    safeTextArray(accs.map((a) => a.id)),
    numArray(accs.map((a) => a.dp)),
    numArray(accs.map((a) => a.cp)),
    numArray(accs.map((a) => a.dpe)),
    numArray(accs.map((a) => a.cpe)),
    seq.toString(),
    prev,
  ];
  t = tick('serialize', t);
  await conn.query({ name: 'ledger_write', text: SQL_WRITE, values });
  t = tick('write', t);
  await conn.query('commit');
  tick('commit', t);
  if (stats) stats.transfersWritten = ts.length;
  return out.results;
}
