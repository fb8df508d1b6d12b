/**
 * Database access for the ledger: raw pg connections borrowed from knex's pool (so the hot path
 * can bind arrays for set-based writes and use prepared statements), and row mapping.
 */
import type { Knex } from 'knex';
import type { Account, Transfer, TransferType } from './types';

export interface QueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}
export interface PgConn {
  query(q: string | { text: string; values?: unknown[]; name?: string }, values?: unknown[]): Promise<QueryResult>;
}

export async function withConnection<T>(db: Knex, fn: (c: PgConn) => Promise<T>): Promise<T> {
  // knex exposes its pool through the client; the connection is a pg.Client.
  const client = db.client as { acquireConnection(): Promise<PgConn>; releaseConnection(c: PgConn): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** int8 columns arrive as bigint (src/db/knex.ts installs the parser) or, without it, as strings. */
export function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`unsafe integer from database: ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string') return BigInt(v);
  throw new Error(`expected an integer from the database, got ${typeof v}`);
}

export function toBigOrNull(v: unknown): bigint | null {
  return v === null || v === undefined ? null : toBig(v);
}

function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

function asJsonObject(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return JSON.parse(v) as Record<string, unknown>;
  return (v ?? {}) as Record<string, unknown>;
}

/**
 * The code ledger_transfers.type stores for each transfer type. The codes predate the names and
 * are part of every transfer's hashed content (hash-chain.ts), so they never change; SQL in
 * src/ledger names transfer types by these codes.
 */
const storedCodes = {
  single_phase: 'posted',
  pending: 'pending',
  post_pending: 'post',
  void_pending: 'void',
} as const satisfies Record<TransferType, string>;

export type StoredTransferType = (typeof storedCodes)[TransferType];

const typesByCode = new Map<unknown, TransferType>(
  Object.entries(storedCodes).map(([type, code]) => [code, type as TransferType]),
);

export function storedTransferType(type: TransferType): StoredTransferType {
  return storedCodes[type];
}

export function transferTypeOf(stored: unknown): TransferType {
  const type = typesByCode.get(stored);
  if (!type) throw new Error(`unknown stored transfer type: ${String(stored)}`);
  return type;
}

export function rowToTransfer(r: Record<string, unknown>): Transfer {
  return {
    id: r.id as string,
    type: transferTypeOf(r.type),
    debitAccountId: r.debit_account_id as string,
    creditAccountId: r.credit_account_id as string,
    amount: toBig(r.amount),
    kind: r.kind as string,
    reference: (r.reference as string | null) ?? null,
    metadata: asJsonObject(r.metadata),
    pendingId: (r.pending_id as string | null) ?? null,
    reversalOf: (r.reversal_of as string | null) ?? null,
    exemptFromCap: r.exempt_from_cap === true,
    balancingDebit: r.balancing_debit === true,
    balancingCredit: r.balancing_credit === true,
    requestedAmount: toBigOrNull(r.requested_amount),
    timeoutSeconds: r.timeout_seconds === null || r.timeout_seconds === undefined ? null : Number(r.timeout_seconds),
    expiresAt: r.expires_at ? toDate(r.expires_at) : null,
    createdAt: toDate(r.created_at),
  };
}

export function rowToAccount(r: Record<string, unknown>): Account {
  return {
    id: r.id as string,
    kind: r.kind as string,
    owner: (r.owner as string | null) ?? null,
    normalSide: r.normal_side as 'debit' | 'credit',
    flags: {
      debitsMustNotExceedCredits: Boolean(r.debits_must_not_exceed_credits),
      creditsMustNotExceedDebits: Boolean(r.credits_must_not_exceed_debits),
    },
    cap: toBigOrNull(r.balance_cap),
    metadata: asJsonObject(r.metadata),
    debitsPosted: toBig(r.debits_posted),
    creditsPosted: toBig(r.credits_posted),
    debitsPending: toBig(r.debits_pending),
    creditsPending: toBig(r.credits_pending),
    createdAt: toDate(r.created_at),
  };
}

/** Errors after which the whole batch transaction may simply be retried. */
export function isRetryable(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  // unique violation (a concurrent duplicate id / pending resolution), serialization failure, deadlock
  return code === '23505' || code === '40001' || code === '40P01';
}

/*
 * PostgreSQL array literals, built directly (much faster than pg's generic per-element
 * escaping for the large arrays of a posting batch).
 */

/** For strings known to hold no '"' or '\\' (pattern-validated ids, kinds, hex, ISO times); null allowed. */
export function safeTextArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : `"${v}"`;
  }
  return out + '}';
}

/** For arbitrary text (escapes '"' and '\\'); null allowed. */
export function textArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : `"${/["\\]/.test(v) ? v.replace(/[\\"]/g, '\\$&') : v}"`;
  }
  return out + '}';
}

/** For integers (bigint or safe integer numbers); null allowed. */
export function numArray(values: ReadonlyArray<bigint | number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return out + '}';
}

export function boolArray(values: ReadonlyArray<boolean>): string {
  return `{${values.map((v) => (v ? 't' : 'f')).join(',')}}`;
}
