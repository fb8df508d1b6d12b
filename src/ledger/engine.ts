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
  const type = typeOf(anyIn, id);
  const kind = anyIn.kind ?? (type === 'void_pending' ? 'void' : undefined);
  if (typeof kind !== 'string' || !KIND_PATTERN.test(kind)) {
    throw new InvalidTransfer(`kind must match ${KIND_PATTERN.source}`, { field: 'kind', transferId: id });
  }
  const reference = checkReference(anyIn.reference ?? null, id);
  const { metadata, metadataJson } = checkMetadata(anyIn.metadata ?? {}, id);
  const debit = anyIn.debitAccountId === undefined ? null : checkId('debitAccountId', anyIn.debitAccountId, id);
  const credit = anyIn.creditAccountId === undefined ? null : checkId('creditAccountId', anyIn.creditAccountId, id);
  if (debit !== null && debit === credit) {
    throw new InvalidTransfer('debit and credit accounts must differ', { field: 'creditAccountId', transferId: id });
  }
  const fields =
    type === 'single_phase' || type === 'pending'
      ? movementFields(anyIn, id, type, debit, credit)
      : resolutionFields(anyIn, id, type);
  // a post never grows a balance beyond its hold's, and a void shrinks it: only single-phase and
  // pending transfers meet caps; balancing applies to single-phase transfers that are not reversals
  const capsApply = type === 'single_phase' || type === 'pending' ? null : 'single-phase and pending transfers';
  const canBalance =
    type === 'single_phase' && fields.reversalOf === null ? null : 'single-phase transfers that are not reversals';
  return {
    id,
    type,
    debitAccountId: debit,
    creditAccountId: credit,
    kind,
    reference,
    metadata,
    metadataJson,
    ...fields,
    exemptFromCap: checkFlag(anyIn, 'exemptFromCap', id, capsApply),
    balancingDebit: checkFlag(anyIn, 'balancingDebit', id, canBalance),
    balancingCredit: checkFlag(anyIn, 'balancingCredit', id, canBalance),
  };
}

/** The input's flags name its type; none of them: single-phase. */
function typeOf(input: Record<string, unknown>, id: string): TransferType {
  const isPost = input.post === true;
  const isVoid = input.void === true;
  const isPending = input.pending === true;
  if (Number(isPost) + Number(isVoid) + Number(isPending) > 1) {
    throw new InvalidTransfer('a transfer is at most one of pending, post, void', { transferId: id });
  }
  return isPost ? 'post_pending' : isVoid ? 'void_pending' : isPending ? 'pending' : 'single_phase';
}

function checkReference(ref: unknown, id: string): string | null {
  if (ref !== null && (typeof ref !== 'string' || ref.length < 1 || ref.length > 200 || ref.includes('\u0000'))) {
    throw new InvalidTransfer('reference must be a string of 1..200 characters', {
      field: 'reference',
      transferId: id,
    });
  }
  return ref;
}

function checkMetadata(value: unknown, id: string): { metadata: Record<string, unknown>; metadataJson: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTransfer('metadata must be a JSON object', { field: 'metadata', transferId: id });
  }
  const metadata = value as Record<string, unknown>;
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
  return { metadata, metadataJson };
}

type TypeFields = Pick<NormalizedInput, 'amount' | 'pendingId' | 'timeoutSeconds' | 'reversalOf'>;

/** A single-phase transfer or a hold: both accounts, an amount; a hold's timeout; a reversal's original. */
function movementFields(
  input: Record<string, unknown>,
  id: string,
  type: 'single_phase' | 'pending',
  debit: string | null,
  credit: string | null,
): TypeFields {
  if (debit === null || credit === null) {
    throw new InvalidTransfer('debitAccountId and creditAccountId are required', {
      field: 'debitAccountId',
      transferId: id,
    });
  }
  const amount = checkAmount(input.amount, id);
  let timeoutSeconds: number | null = null;
  let reversalOf: string | null = null;
  if (type === 'pending' && input.timeoutSeconds !== undefined && input.timeoutSeconds !== null) {
    const t = input.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_SECONDS) {
      throw new InvalidTransfer(`timeoutSeconds must be an integer in 1..${MAX_TIMEOUT_SECONDS}`, {
        field: 'timeoutSeconds',
        transferId: id,
      });
    }
    timeoutSeconds = t;
  }
  if (type === 'single_phase' && input.reversalOf !== undefined && input.reversalOf !== null) {
    reversalOf = checkId('reversalOf', input.reversalOf, id);
    if (reversalOf === id)
      throw new InvalidTransfer('a transfer cannot reverse itself', { field: 'reversalOf', transferId: id });
  }
  return { amount, pendingId: null, timeoutSeconds, reversalOf };
}

/** A post or void: the hold it resolves; a post may name a partial amount, a void none. */
function resolutionFields(
  input: Record<string, unknown>,
  id: string,
  type: 'post_pending' | 'void_pending',
): TypeFields {
  const pendingId = checkId('pendingId', input.pendingId, id);
  if (pendingId === id)
    throw new InvalidTransfer('pendingId cannot be the transfer itself', { field: 'pendingId', transferId: id });
  const given = input.amount !== undefined && input.amount !== null;
  if (type === 'void_pending' && given) {
    throw new InvalidTransfer('a void releases the whole hold and takes no amount', {
      field: 'amount',
      transferId: id,
    });
  }
  return { amount: given ? checkAmount(input.amount, id) : null, pendingId, timeoutSeconds: null, reversalOf: null };
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
  if (existing) return replay(ctx, t, existing);
  const m = t.type === 'single_phase' || t.type === 'pending' ? newMovement(ctx, t, undo) : resolution(ctx, t);
  const [d, c] = moveTotals(ctx, t, m, undo);
  const transfer: Transfer = {
    id: t.id,
    type: t.type,
    debitAccountId: m.debitId,
    creditAccountId: m.creditId,
    amount: m.amount,
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
    expiresAt: m.expiresAt,
    createdAt: ctx.now,
  };
  record(ctx, transfer, undo);
  out.transfers.push(transfer);
  out.entries.push(
    entry(t.id, d, 'debit', m.debitPosted, m.debitPending),
    entry(t.id, c, 'credit', m.creditPosted, m.creditPending),
  );
  return { id: t.id, status: 'created', transfer };
}

/** A transfer id seen before: the same input is a replay of it, any difference a conflict. */
function replay(ctx: EngineContext, t: NormalizedInput, existing: Transfer): TransferResult {
  const pending = existing.pendingId ? ctx.transfers.get(existing.pendingId) : undefined;
  const diff = differingField(existing, t, pending);
  if (diff) throw new IdempotencyConflict(t.id, diff.field, diff.existing, diff.requested);
  return { id: t.id, status: 'exists', transfer: existing };
}

/** What a transfer moves: between which accounts, how much, and the change to each total. */
interface Movement {
  debitId: string;
  creditId: string;
  amount: bigint;
  debitPosted: bigint;
  debitPending: bigint;
  creditPosted: bigint;
  creditPending: bigint;
  expiresAt: Date | null;
}

/** A single-phase transfer (maybe a reversal, maybe balancing) or a new hold. */
function newMovement(ctx: EngineContext, t: NormalizedInput, undo: Undo): Movement {
  const debitId = t.debitAccountId!;
  const creditId = t.creditAccountId!;
  let amount = t.amount!;
  if (t.reversalOf) checkReversal(ctx, t, t.reversalOf);
  if (t.balancingDebit || t.balancingCredit) {
    const d = account(ctx, undo, debitId, t.id);
    const c = account(ctx, undo, creditId, t.id);
    if (t.balancingDebit) amount = min(amount, max0(d.creditsPosted - d.debitsPosted - d.debitsPending));
    if (t.balancingCredit) amount = min(amount, max0(c.debitsPosted - c.creditsPosted - c.creditsPending));
  }
  if (t.type === 'single_phase') {
    return { debitId, creditId, amount, ...deltas(amount, 0n), expiresAt: null };
  }
  const expiresAt = t.timeoutSeconds === null ? null : new Date(ctx.now.getTime() + t.timeoutSeconds * 1000);
  return { debitId, creditId, amount, ...deltas(0n, amount), expiresAt };
}

/** A reversal swaps the accounts of a posted transfer, for at most its amount, once. */
function checkReversal(ctx: EngineContext, t: NormalizedInput, originalId: string): void {
  const orig = ctx.transfers.get(originalId);
  if (!orig || (orig.type !== 'single_phase' && orig.type !== 'post_pending')) {
    throw new InvalidTransfer(`reversalOf ${originalId} is not an existing posted transfer`, {
      field: 'reversalOf',
      transferId: t.id,
    });
  }
  if (orig.debitAccountId !== t.creditAccountId || orig.creditAccountId !== t.debitAccountId) {
    throw new InvalidTransfer("a reversal must swap the original transfer's accounts", {
      field: 'debitAccountId',
      transferId: t.id,
      originalId: orig.id,
    });
  }
  if (t.amount! > orig.amount) {
    throw new InvalidTransfer('a reversal cannot exceed the original amount', {
      field: 'amount',
      transferId: t.id,
      originalAmount: orig.amount,
    });
  }
  const by = ctx.reversals.get(orig.id);
  if (by) throw new AlreadyReversed(orig.id, by, t.id);
}

/** A post (all or part of the hold, before it expires) or a void (all of it) of an unresolved hold. */
function resolution(ctx: EngineContext, t: NormalizedInput): Movement {
  const pending = ctx.transfers.get(t.pendingId!);
  if (!pending || pending.type !== 'pending') throw new PendingNotFound(t.pendingId!, t.id);
  const resolved = ctx.resolutions.get(pending.id);
  if (resolved) {
    throw new PendingAlreadyResolved(
      pending.id,
      resolved.id,
      resolved.type === 'post_pending' ? 'posted' : 'voided',
      t.id,
    );
  }
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
  const accounts = { debitId: pending.debitAccountId, creditId: pending.creditAccountId, expiresAt: null };
  if (t.type === 'void_pending') {
    return { ...accounts, amount: pending.amount, ...deltas(0n, -pending.amount) };
  }
  if (pending.expiresAt && pending.expiresAt.getTime() <= ctx.now.getTime()) {
    throw new PendingExpired(pending.id, pending.expiresAt, t.id);
  }
  const amount = t.amount ?? pending.amount;
  if (amount > pending.amount) {
    throw new InvalidTransfer(`post amount ${amount} exceeds the held amount ${pending.amount}`, {
      field: 'amount',
      transferId: t.id,
      pendingAmount: pending.amount,
    });
  }
  return { ...accounts, amount, ...deltas(amount, -pending.amount) };
}

/** The same posted and pending changes on both sides of a transfer. */
function deltas(posted: bigint, pending: bigint) {
  return { debitPosted: posted, debitPending: pending, creditPosted: posted, creditPending: pending };
}

/**
 * Applies the movement to the two accounts' totals, refusing what would overflow, overdraw or go
 * over a cap (only single-phase and pending transfers grow a balance). Returns the accounts after.
 */
function moveTotals(ctx: EngineContext, t: NormalizedInput, m: Movement, undo: Undo): [AccountState, AccountState] {
  const d = account(ctx, undo, m.debitId, t.id);
  const c = account(ctx, undo, m.creditId, t.id);
  const nd = { ...d, debitsPosted: d.debitsPosted + m.debitPosted, debitsPending: d.debitsPending + m.debitPending };
  const nc = {
    ...c,
    creditsPosted: c.creditsPosted + m.creditPosted,
    creditsPending: c.creditsPending + m.creditPending,
  };
  const amount = m.amount;
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
  return [d, c];
}

/** The new transfer becomes part of the context (undone with its request if the request fails). */
function record(ctx: EngineContext, transfer: Transfer, undo: Undo): void {
  ctx.transfers.set(transfer.id, transfer);
  undo.transfers.push(transfer.id);
  if (transfer.pendingId) {
    ctx.resolutions.set(transfer.pendingId, transfer);
    undo.resolutions.push(transfer.pendingId);
  }
  if (transfer.reversalOf) {
    ctx.reversals.set(transfer.reversalOf, transfer.id);
    undo.reversals.push(transfer.reversalOf);
  }
}

/** One side's entry, with the account's balance, holds and cap after the transfer. */
function entry(
  transferId: string,
  a: AccountState,
  side: 'debit' | 'credit',
  posted: bigint,
  pending: bigint,
): EntryDraft {
  const b = balanceOf(a);
  return {
    transferId,
    accountId: a.id,
    side,
    postedAmount: posted,
    pendingDelta: pending,
    balanceAfter: b.posted,
    heldAfter: b.held,
    cap: a.cap,
  };
}
