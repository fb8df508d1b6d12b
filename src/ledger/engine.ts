/**
 * The ledger's pure state machine: validates transfers in order against in-memory copies of
 * the (locked) accounts and applies them, producing the rows to write. No I/O here, so every
 * rule is unit-testable and the batcher can validate many callers' transfers in one pass.
 */
import { ID_PATTERN, KIND_PATTERN } from './accounts';
import {
  AccountNotFound,
  AlreadyReversed,
  CreditsExceedDebits,
  IdempotencyConflict,
  InsufficientFunds,
  InvalidTransfer,
  LedgerError,
  LimitExceeded,
  LinkedTransferFailed,
  PendingAlreadyResolved,
  PendingExpired,
  PendingNotFound,
} from './errors';
import type { NormalSide, Transfer, TransferInput, TransferResult, TransferType } from './types';

export const MAX_AMOUNT = 9_000_000_000_000_000_000n; // well inside int8, sums checked too
const MAX_TIMEOUT_SECONDS = 366 * 24 * 3600;
const MAX_METADATA_BYTES = 16_384;
export const MAX_LINKED = 8190;

export interface AccountState {
  id: string;
  normalSide: NormalSide;
  debitsMustNotExceedCredits: boolean;
  creditsMustNotExceedDebits: boolean;
  cap: bigint | null;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/** A transfer input after shape validation and normalization. */
export interface NormalizedInput {
  id: string;
  type: TransferType;
  debitAccountId: string | null;
  creditAccountId: string | null;
  amount: bigint | null;
  kind: string;
  reference: string | null;
  metadata: Record<string, unknown>;
  metadataJson: string;
  pendingId: string | null;
  reversalOf: string | null;
  timeoutSeconds: number | null;
  exemptFromCap: boolean;
  balancingDebit: boolean;
  balancingCredit: boolean;
}

export interface EntryDraft {
  transferId: string;
  accountId: string;
  side: 'debit' | 'credit';
  postedAmount: bigint;
  pendingDelta: bigint;
  balanceAfter: bigint;
  heldAfter: bigint;
  /** The account's balance cap in force when this entry was posted (null: none). */
  cap: bigint | null;
}

export interface EngineContext {
  now: Date;
  accounts: Map<string, AccountState>;
  /** Existing transfers by id: the batch's ids (idempotency), referenced pendings and reversal originals. */
  transfers: Map<string, Transfer>;
  /** pendingId -> the post/void that resolved it. */
  resolutions: Map<string, Transfer>;
  /** original id -> reversal id. */
  reversals: Map<string, string>;
}

export interface BatchOutput {
  results: TransferResult[][];
  transfers: Transfer[];
  entries: EntryDraft[];
  touched: Set<string>;
}

/** Stable JSON: object keys sorted recursively. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}

function checkId(what: string, id: unknown, transferId?: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new InvalidTransfer(`${what} must match ${ID_PATTERN.source}`, {
      field: what,
      value: String(id),
      transferId,
    });
  }
  return id;
}

function checkAmount(amount: unknown, transferId: string): bigint {
  if (typeof amount !== 'bigint')
    throw new InvalidTransfer('amount must be a bigint (paise)', { field: 'amount', transferId });
  if (amount <= 0n)
    throw new InvalidTransfer('amount must be greater than zero', { field: 'amount', amount, transferId });
  if (amount > MAX_AMOUNT) throw new InvalidTransfer('amount is too large', { field: 'amount', amount, transferId });
  return amount;
}

/** An optional boolean flag; `allowedOn` names the transfers that may carry it, null if this one may. */
function checkFlag(
  input: Record<string, unknown>,
  field: string,
  transferId: string,
  allowedOn: string | null,
): boolean {
  const v = input[field];
  if (v === undefined || v === null || v === false) return false;
  if (v !== true) throw new InvalidTransfer(`${field} must be a boolean`, { field, transferId });
  if (allowedOn !== null) throw new InvalidTransfer(`${field} is only allowed on ${allowedOn}`, { field, transferId });
  return true;
}

/** Validates the shape of one input (throws InvalidTransfer) and normalizes it. */
export function normalizeInput(input: TransferInput): NormalizedInput {
  if (!input || typeof input !== 'object') throw new InvalidTransfer('transfer input must be an object');
  const id = checkId('id', input.id);
  const anyIn = input as unknown as Record<string, unknown>;
  const isPost = anyIn.post === true;
  const isVoid = anyIn.void === true;
  const isPending = anyIn.pending === true;
  if (Number(isPost) + Number(isVoid) + Number(isPending) > 1) {
    throw new InvalidTransfer('a transfer is at most one of pending, post, void', { transferId: id });
  }
  const type: TransferType = isPost ? 'post_pending' : isVoid ? 'void_pending' : isPending ? 'pending' : 'single_phase';
  const kindRaw = anyIn.kind ?? (type === 'void_pending' ? 'void' : undefined);
  if (typeof kindRaw !== 'string' || !KIND_PATTERN.test(kindRaw)) {
    throw new InvalidTransfer(`kind must match ${KIND_PATTERN.source}`, { field: 'kind', transferId: id });
  }
  const ref = anyIn.reference ?? null;
  if (ref !== null && (typeof ref !== 'string' || ref.length < 1 || ref.length > 200 || ref.includes('\u0000'))) {
    throw new InvalidTransfer('reference must be a string of 1..200 characters', {
      field: 'reference',
      transferId: id,
    });
  }
  const metadata = (anyIn.metadata ?? {}) as Record<string, unknown>;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidTransfer('metadata must be a JSON object', { field: 'metadata', transferId: id });
  }
  let metadataJson: string;
  try {
    metadataJson = canonicalJson(metadata);
  } catch {
    throw new InvalidTransfer('metadata must be JSON-serializable (no bigint: use strings)', {
      field: 'metadata',
      transferId: id,
    });
  }
  if (metadataJson.length > MAX_METADATA_BYTES || metadataJson.includes('\\u0000')) {
    throw new InvalidTransfer('metadata is too large or contains NUL characters', {
      field: 'metadata',
      transferId: id,
    });
  }
  const debit = anyIn.debitAccountId === undefined ? null : checkId('debitAccountId', anyIn.debitAccountId, id);
  const credit = anyIn.creditAccountId === undefined ? null : checkId('creditAccountId', anyIn.creditAccountId, id);
  if (debit !== null && debit === credit) {
    throw new InvalidTransfer('debit and credit accounts must differ', { field: 'creditAccountId', transferId: id });
  }
  let amount: bigint | null = null;
  let pendingId: string | null = null;
  let timeoutSeconds: number | null = null;
  let reversalOf: string | null = null;
  if (type === 'single_phase' || type === 'pending') {
    if (debit === null || credit === null) {
      throw new InvalidTransfer('debitAccountId and creditAccountId are required', {
        field: 'debitAccountId',
        transferId: id,
      });
    }
    amount = checkAmount(anyIn.amount, id);
    if (type === 'pending' && anyIn.timeoutSeconds !== undefined && anyIn.timeoutSeconds !== null) {
      const t = anyIn.timeoutSeconds;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_SECONDS) {
        throw new InvalidTransfer(`timeoutSeconds must be an integer in 1..${MAX_TIMEOUT_SECONDS}`, {
          field: 'timeoutSeconds',
          transferId: id,
        });
      }
      timeoutSeconds = t;
    }
    if (type === 'single_phase' && anyIn.reversalOf !== undefined && anyIn.reversalOf !== null) {
      reversalOf = checkId('reversalOf', anyIn.reversalOf, id);
      if (reversalOf === id)
        throw new InvalidTransfer('a transfer cannot reverse itself', { field: 'reversalOf', transferId: id });
    }
  } else {
    pendingId = checkId('pendingId', anyIn.pendingId, id);
    if (pendingId === id)
      throw new InvalidTransfer('pendingId cannot be the transfer itself', { field: 'pendingId', transferId: id });
    if (type === 'post_pending' && anyIn.amount !== undefined && anyIn.amount !== null)
      amount = checkAmount(anyIn.amount, id);
    if (type === 'void_pending' && anyIn.amount !== undefined && anyIn.amount !== null) {
      throw new InvalidTransfer('a void releases the whole hold and takes no amount', {
        field: 'amount',
        transferId: id,
      });
    }
  }
  // a post never grows a balance beyond its hold's, and a void shrinks it: only single-phase and
  // pending transfers meet caps; balancing applies to single-phase transfers that are not reversals
  const capsApply = type === 'single_phase' || type === 'pending' ? null : 'single-phase and pending transfers';
  const canBalance =
    type === 'single_phase' && reversalOf === null ? null : 'single-phase transfers that are not reversals';
  const exemptFromCap = checkFlag(anyIn, 'exemptFromCap', id, capsApply);
  const balancingDebit = checkFlag(anyIn, 'balancingDebit', id, canBalance);
  const balancingCredit = checkFlag(anyIn, 'balancingCredit', id, canBalance);
  return {
    id,
    type,
    debitAccountId: debit,
    creditAccountId: credit,
    amount,
    kind: kindRaw,
    reference: ref as string | null,
    metadata,
    metadataJson,
    pendingId,
    reversalOf,
    timeoutSeconds,
    exemptFromCap,
    balancingDebit,
    balancingCredit,
  };
}

/** Normal-side posted balance and outgoing holds of an account state. */
export function balanceOf(
  s: Pick<AccountState, 'normalSide' | 'debitsPosted' | 'creditsPosted' | 'debitsPending' | 'creditsPending'>,
): {
  posted: bigint;
  held: bigint;
} {
  return s.normalSide === 'credit'
    ? { posted: s.creditsPosted - s.debitsPosted, held: s.debitsPending }
    : { posted: s.debitsPosted - s.creditsPosted, held: s.creditsPending };
}

function show(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** The first field in which a re-submitted input differs from the stored transfer, or null. */
export function differingField(
  existing: Transfer,
  input: NormalizedInput,
  pending: Transfer | undefined,
): { field: string; existing: unknown; requested: unknown } | null {
  const cmp: Array<[string, unknown, unknown]> = [['type', existing.type, input.type]];
  if (input.debitAccountId !== null) cmp.push(['debitAccountId', existing.debitAccountId, input.debitAccountId]);
  if (input.creditAccountId !== null) cmp.push(['creditAccountId', existing.creditAccountId, input.creditAccountId]);
  // a balancing transfer is replayed with the bound it was asked for, not the clamped amount
  if (input.type === 'single_phase' || input.type === 'pending')
    cmp.push(['amount', existing.requestedAmount ?? existing.amount, input.amount]);
  else if (input.type === 'post_pending') {
    const wanted = input.amount ?? pending?.amount;
    if (wanted !== undefined) cmp.push(['amount', existing.amount, wanted]);
  }
  cmp.push(
    ['pendingId', existing.pendingId, input.pendingId],
    ['kind', existing.kind, input.kind],
    ['reference', existing.reference, input.reference],
    ['metadata', canonicalJson(existing.metadata), input.metadataJson],
    ['timeoutSeconds', existing.timeoutSeconds, input.timeoutSeconds],
    ['reversalOf', existing.reversalOf, input.reversalOf],
    ['exemptFromCap', existing.exemptFromCap, input.exemptFromCap],
    ['balancingDebit', existing.balancingDebit, input.balancingDebit],
    ['balancingCredit', existing.balancingCredit, input.balancingCredit],
  );
  for (const [field, a, b] of cmp) {
    if (a !== b) return { field, existing: show(a), requested: show(b) };
  }
  return null;
}

interface Undo {
  accounts: Map<string, AccountState>;
  transfers: string[];
  resolutions: string[];
  reversals: string[];
  entriesLen: number;
  transfersLen: number;
}

/**
 * Applies requests (each a linked, all-or-nothing list) in order. A failing request leaves no
 * trace in the context or output; the others are unaffected.
 */
export function applyRequests(ctx: EngineContext, requests: Array<Array<NormalizedInput | LedgerError>>): BatchOutput {
  const out: BatchOutput = { results: [], transfers: [], entries: [], touched: new Set() };
  for (const req of requests) {
    const undo: Undo = {
      accounts: new Map(),
      transfers: [],
      resolutions: [],
      reversals: [],
      entriesLen: out.entries.length,
      transfersLen: out.transfers.length,
    };
    const results: TransferResult[] = [];
    let failed: { index: number; error: LedgerError } | null = null;
    for (let i = 0; i < req.length; i++) {
      const item = req[i]!;
      try {
        if (item instanceof LedgerError) throw item;
        results.push(applyOne(ctx, item, out, undo));
      } catch (e) {
        const error = e instanceof LedgerError ? e : new InvalidTransfer(String((e as Error)?.message ?? e));
        failed = { index: i, error };
        break;
      }
    }
    if (failed) {
      // roll back this request's effects
      for (const [id, saved] of undo.accounts) ctx.accounts.set(id, saved);
      for (const id of undo.transfers) ctx.transfers.delete(id);
      for (const id of undo.resolutions) ctx.resolutions.delete(id);
      for (const id of undo.reversals) ctx.reversals.delete(id);
      out.entries.length = undo.entriesLen;
      out.transfers.length = undo.transfersLen;
      out.results.push(failedResults(req, failed.index, failed.error));
    } else {
      for (const id of undo.accounts.keys()) out.touched.add(id);
      out.results.push(results);
    }
  }
  return out;
}

/** Results for a linked request that failed at `index`: that one's error, LINKED_TRANSFER_FAILED for the rest. */
export function failedResults(
  req: Array<NormalizedInput | LedgerError>,
  index: number,
  error: LedgerError,
): TransferResult[] {
  const failedId = idOf(req[index]!, index);
  return req.map((item, i): TransferResult => {
    const id = idOf(item, i);
    if (i === index) return { id, status: 'failed', error };
    return { id, status: 'failed', error: new LinkedTransferFailed(id, failedId, error.code) };
  });
}

function idOf(item: NormalizedInput | LedgerError, index: number): string {
  if (item instanceof LedgerError) return typeof item.data.transferId === 'string' ? item.data.transferId : `#${index}`;
  return item.id;
}

function account(ctx: EngineContext, undo: Undo, id: string, transferId: string): AccountState {
  const a = ctx.accounts.get(id);
  if (!a) throw new AccountNotFound(id, transferId);
  if (!undo.accounts.has(id)) {
    undo.accounts.set(id, { ...a });
    const copy = { ...a };
    ctx.accounts.set(id, copy);
    return copy;
  }
  return a;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max0 = (a: bigint) => (a > 0n ? a : 0n);

/** What a cap limits: the normal-side posted balance plus incoming holds. */
function capBalance(s: AccountState): bigint {
  return s.normalSide === 'credit'
    ? s.creditsPosted + s.creditsPending - s.debitsPosted
    : s.debitsPosted + s.debitsPending - s.creditsPosted;
}

function applyOne(ctx: EngineContext, t: NormalizedInput, out: BatchOutput, undo: Undo): TransferResult {
  const existing = ctx.transfers.get(t.id);
  if (existing) {
    const pending = existing.pendingId ? ctx.transfers.get(existing.pendingId) : undefined;
    const diff = differingField(existing, t, pending);
    if (diff) throw new IdempotencyConflict(t.id, diff.field, diff.existing, diff.requested);
    return { id: t.id, status: 'exists', transfer: existing };
  }
  let debitId: string;
  let creditId: string;
  let amount: bigint;
  // deltas: [debitPosted, debitPending, creditPosted, creditPending]
  let dPosted: bigint, dPending: bigint, cPosted: bigint, cPending: bigint;
  let expiresAt: Date | null = null;
  if (t.type === 'single_phase' || t.type === 'pending') {
    debitId = t.debitAccountId!;
    creditId = t.creditAccountId!;
    amount = t.amount!;
    if (t.reversalOf) {
      const orig = ctx.transfers.get(t.reversalOf);
      if (!orig || (orig.type !== 'single_phase' && orig.type !== 'post_pending')) {
        throw new InvalidTransfer(`reversalOf ${t.reversalOf} is not an existing posted transfer`, {
          field: 'reversalOf',
          transferId: t.id,
        });
      }
      if (orig.debitAccountId !== creditId || orig.creditAccountId !== debitId) {
        throw new InvalidTransfer("a reversal must swap the original transfer's accounts", {
          field: 'debitAccountId',
          transferId: t.id,
          originalId: orig.id,
        });
      }
      if (amount > orig.amount) {
        throw new InvalidTransfer('a reversal cannot exceed the original amount', {
          field: 'amount',
          transferId: t.id,
          originalAmount: orig.amount,
        });
      }
      const by = ctx.reversals.get(orig.id);
      if (by) throw new AlreadyReversed(orig.id, by, t.id);
    }
    if (t.balancingDebit || t.balancingCredit) {
      const d = account(ctx, undo, debitId, t.id);
      const c = account(ctx, undo, creditId, t.id);
      if (t.balancingDebit) amount = min(amount, max0(d.creditsPosted - d.debitsPosted - d.debitsPending));
      if (t.balancingCredit) amount = min(amount, max0(c.debitsPosted - c.creditsPosted - c.creditsPending));
    }
    if (t.type === 'single_phase') {
      [dPosted, dPending, cPosted, cPending] = [amount, 0n, amount, 0n];
    } else {
      [dPosted, dPending, cPosted, cPending] = [0n, amount, 0n, amount];
      if (t.timeoutSeconds !== null) expiresAt = new Date(ctx.now.getTime() + t.timeoutSeconds * 1000);
    }
  } else {
    const pending = ctx.transfers.get(t.pendingId!);
    if (!pending || pending.type !== 'pending') throw new PendingNotFound(t.pendingId!, t.id);
    const resolved = ctx.resolutions.get(pending.id);
    if (resolved)
      throw new PendingAlreadyResolved(
        pending.id,
        resolved.id,
        resolved.type === 'post_pending' ? 'posted' : 'voided',
        t.id,
      );
    if (t.debitAccountId !== null && t.debitAccountId !== pending.debitAccountId) {
      throw new InvalidTransfer('debitAccountId differs from the pending transfer', {
        field: 'debitAccountId',
        transferId: t.id,
      });
    }
    if (t.creditAccountId !== null && t.creditAccountId !== pending.creditAccountId) {
      throw new InvalidTransfer('creditAccountId differs from the pending transfer', {
        field: 'creditAccountId',
        transferId: t.id,
      });
    }
    debitId = pending.debitAccountId;
    creditId = pending.creditAccountId;
    if (t.type === 'post_pending') {
      if (pending.expiresAt && pending.expiresAt.getTime() <= ctx.now.getTime()) {
        throw new PendingExpired(pending.id, pending.expiresAt, t.id);
      }
      amount = t.amount ?? pending.amount;
      if (amount > pending.amount) {
        throw new InvalidTransfer(`post amount ${amount} exceeds the held amount ${pending.amount}`, {
          field: 'amount',
          transferId: t.id,
          pendingAmount: pending.amount,
        });
      }
      [dPosted, dPending, cPosted, cPending] = [amount, -pending.amount, amount, -pending.amount];
    } else {
      amount = pending.amount;
      [dPosted, dPending, cPosted, cPending] = [0n, -pending.amount, 0n, -pending.amount];
    }
  }

  const d = account(ctx, undo, debitId, t.id);
  const c = account(ctx, undo, creditId, t.id);
  const nd = { ...d, debitsPosted: d.debitsPosted + dPosted, debitsPending: d.debitsPending + dPending };
  const nc = { ...c, creditsPosted: c.creditsPosted + cPosted, creditsPending: c.creditsPending + cPending };
  const grows = (t.type === 'single_phase' || t.type === 'pending') && amount > 0n;
  if (grows) {
    if (nd.debitsPosted + nd.debitsPending > MAX_AMOUNT || nc.creditsPosted + nc.creditsPending > MAX_AMOUNT) {
      throw new InvalidTransfer('account totals would overflow', { field: 'amount', transferId: t.id });
    }
    if (d.debitsMustNotExceedCredits && nd.debitsPosted + nd.debitsPending > nd.creditsPosted) {
      throw new InsufficientFunds(d.id, amount, d.creditsPosted - d.debitsPosted - d.debitsPending, t.id);
    }
    if (c.creditsMustNotExceedDebits && nc.creditsPosted + nc.creditsPending > nc.debitsPosted) {
      throw new CreditsExceedDebits(c.id, amount, c.debitsPosted - c.creditsPosted - c.creditsPending, t.id);
    }
    if (!t.exemptFromCap && c.cap !== null && c.normalSide === 'credit' && capBalance(nc) > c.cap) {
      throw new LimitExceeded(c.id, c.cap, capBalance(nc), t.id);
    }
    if (!t.exemptFromCap && d.cap !== null && d.normalSide === 'debit' && capBalance(nd) > d.cap) {
      throw new LimitExceeded(d.id, d.cap, capBalance(nd), t.id);
    }
  }
  Object.assign(d, nd);
  Object.assign(c, nc);

  const transfer: Transfer = {
    id: t.id,
    type: t.type,
    debitAccountId: debitId,
    creditAccountId: creditId,
    amount,
    kind: t.kind,
    reference: t.reference,
    metadata: t.metadata,
    pendingId: t.pendingId,
    reversalOf: t.reversalOf,
    exemptFromCap: t.exemptFromCap,
    balancingDebit: t.balancingDebit,
    balancingCredit: t.balancingCredit,
    requestedAmount: t.balancingDebit || t.balancingCredit ? t.amount : null,
    timeoutSeconds: t.timeoutSeconds,
    expiresAt,
    createdAt: ctx.now,
  };
  ctx.transfers.set(t.id, transfer);
  undo.transfers.push(t.id);
  if (t.pendingId) {
    ctx.resolutions.set(t.pendingId, transfer);
    undo.resolutions.push(t.pendingId);
  }
  if (t.reversalOf) {
    ctx.reversals.set(t.reversalOf, t.id);
    undo.reversals.push(t.reversalOf);
  }
  out.transfers.push(transfer);
  const db = balanceOf(d);
  const cb = balanceOf(c);
  out.entries.push(
    {
      transferId: t.id,
      accountId: d.id,
      side: 'debit',
      postedAmount: dPosted,
      pendingDelta: dPending,
      balanceAfter: db.posted,
      heldAfter: db.held,
      cap: d.cap,
    },
    {
      transferId: t.id,
      accountId: c.id,
      side: 'credit',
      postedAmount: cPosted,
      pendingDelta: cPending,
      balanceAfter: cb.posted,
      heldAfter: cb.held,
      cap: c.cap,
    },
  );
  return { id: t.id, status: 'created', transfer };
}
