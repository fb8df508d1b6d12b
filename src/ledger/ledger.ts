import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { timeSeqCursor } from '../db/cursor';
import { ID_PATTERN, KIND_PATTERN, systemAccountInputs } from './accounts';
import { Batcher, type BatcherStats } from './batcher';
import { balanceOf, failedResults, MAX_AMOUNT, MAX_LINKED, normalizeInput, type NormalizedInput } from './engine';
import { AccountConflict, AccountNotFound, InvalidTransfer, LedgerError } from './errors';
import { executeBatch, type PhaseObserver, type Request } from './posting';
import { rowToAccount, rowToTransfer, toBig, transferTypeOf } from './store';
import type {
  Account,
  AccountInput,
  Balance,
  Statement,
  StatementItem,
  StatementQuery,
  Transfer,
  TransferInput,
  TransferResult,
  VerifyReport,
} from './types';
import { verifyLedger } from './verify';

export interface LedgerOptions {
  /** Most transfers written in one database transaction (default 4000). */
  maxBatchTransfers?: number;
  /** Concurrent posting transactions from this Ledger (default 2). */
  maxInFlight?: number;
  /** Delay before flushing a new batch (default 0: next event-loop turn). */
  lingerMs?: number;
  /** Told the duration of each phase of every posting transaction (benchmarks); none by default. */
  onPhase?: PhaseObserver;
}

export interface VoidExpiredResult {
  voided: string[];
  /** Holds that were resolved meanwhile by someone else (e.g. a post that won the race). */
  skipped: string[];
  failed: Array<{ pendingId: string; code: string; message: string }>;
}

/** Id of the automatic void of an expired hold. */
export function expiryVoidId(pendingId: string): string {
  const id = `${pendingId}:expired`;
  return id.length <= 160 ? id : `expired:${createHash('sha256').update(pendingId).digest('hex').slice(0, 48)}`;
}

function decodeCursor(c: string): { at: Date; seq: bigint } {
  const position = timeSeqCursor.decode(c);
  if (!position) throw new InvalidTransfer('invalid statement cursor', { field: 'cursor' });
  return position;
}

export class Ledger {
  private readonly batcher: Batcher;

  constructor(
    private readonly db: Knex,
    options: LedgerOptions = {},
  ) {
    this.batcher = new Batcher((reqs: Request[]) => executeBatch(this.db, reqs, undefined, options.onPhase), {
      maxBatchTransfers: options.maxBatchTransfers ?? 4000,
      maxInFlight: options.maxInFlight ?? 2,
      lingerMs: options.lingerMs ?? 0,
    });
  }

  /** Batching statistics of this instance (batches, transfers, largest batch). */
  get batchStats(): Readonly<BatcherStats> {
    return this.batcher.stats;
  }

  // ---------------------------------------------------------------- accounts

  /**
   * Creates accounts, idempotently by id: an existing account with the same kind, owner,
   * normal side and flags is returned as is; a different one is an AccountConflict. Pass `trx`
   * to create them atomically with other rows (e.g. the user and their wallet).
   */
  async createAccounts(inputs: AccountInput[], trx?: Knex.Transaction): Promise<Account[]> {
    const q = trx ?? this.db;
    const rows = inputs.map((a) => {
      if (!a || typeof a.id !== 'string' || !ID_PATTERN.test(a.id))
        throw new InvalidTransfer(`account id must match ${ID_PATTERN.source}`, { field: 'id', accountId: a?.id });
      if (typeof a.kind !== 'string' || !KIND_PATTERN.test(a.kind))
        throw new InvalidTransfer(`account kind must match ${KIND_PATTERN.source}`, { field: 'kind', accountId: a.id });
      const cap = a.cap ?? null;
      if (cap !== null && (typeof cap !== 'bigint' || cap < 0n || cap > MAX_AMOUNT))
        throw new InvalidTransfer('cap must be a non-negative bigint or null', { field: 'cap', accountId: a.id });
      const dm = a.flags?.debitsMustNotExceedCredits ?? false;
      const cm = a.flags?.creditsMustNotExceedDebits ?? false;
      if (dm && cm)
        throw new InvalidTransfer('an account cannot carry both balance flags', { field: 'flags', accountId: a.id });
      const normal = a.normalSide ?? (cm ? 'debit' : 'credit');
      if (normal !== 'debit' && normal !== 'credit')
        throw new InvalidTransfer('normalSide must be debit or credit', { field: 'normalSide', accountId: a.id });
      return {
        id: a.id,
        kind: a.kind,
        owner: a.owner ?? null,
        normal_side: normal,
        debits_must_not_exceed_credits: dm,
        credits_must_not_exceed_debits: cm,
        balance_cap: cap === null ? null : cap.toString(),
        metadata: JSON.stringify(a.metadata ?? {}),
      };
    });
    if (rows.length === 0) return [];
    await q('ledger_accounts').insert(rows).onConflict('id').ignore();
    const found = await q('ledger_accounts')
      .whereIn(
        'id',
        rows.map((r) => r.id),
      )
      .select('*');
    const byId = new Map(found.map((r: Record<string, unknown>) => [r.id as string, rowToAccount(r)]));
    return rows.map((r) => {
      const acc = byId.get(r.id);
      if (!acc) throw new AccountNotFound(r.id);
      const cmp: Array<[string, unknown, unknown]> = [
        ['kind', acc.kind, r.kind],
        ['owner', acc.owner, r.owner],
        ['normalSide', acc.normalSide, r.normal_side],
        ['debitsMustNotExceedCredits', acc.flags.debitsMustNotExceedCredits, r.debits_must_not_exceed_credits],
        ['creditsMustNotExceedDebits', acc.flags.creditsMustNotExceedDebits, r.credits_must_not_exceed_debits],
      ];
      for (const [field, a, b] of cmp) if (a !== b) throw new AccountConflict(r.id, field, a, b);
      return acc;
    });
  }

  /** Creates the platform's system accounts (and one settlement account per provider). */
  async ensureSystemAccounts(providers: readonly string[] = []): Promise<Account[]> {
    return this.createAccounts(systemAccountInputs(providers));
  }

  async getAccount(id: string): Promise<Account | null> {
    const row = await this.db('ledger_accounts').where({ id }).first();
    return row ? rowToAccount(row) : null;
  }

  /** Sets (or with null removes) an account's balance cap. Takes effect for the next transfers. */
  async setAccountCap(id: string, cap: bigint | null): Promise<Account> {
    if (cap !== null && (typeof cap !== 'bigint' || cap < 0n || cap > MAX_AMOUNT)) {
      throw new InvalidTransfer('cap must be a non-negative bigint or null', { field: 'cap', accountId: id });
    }
    const rows = await this.db('ledger_accounts')
      .where({ id })
      .update({ balance_cap: cap === null ? null : cap.toString(), updated_at: this.db.fn.now() })
      .returning('*');
    if (!rows[0]) throw new AccountNotFound(id);
    return rowToAccount(rows[0]);
  }

  // ---------------------------------------------------------------- transfers

  /**
   * Creates a linked list of transfers: all are applied, in order, in one database
   * transaction, or none is. Never throws for business errors: each result says created,
   * exists (idempotent replay) or failed (the failing one carries its error; the others
   * LINKED_TRANSFER_FAILED). Throws only if the database is unreachable.
   */
  async createTransfers(inputs: TransferInput[]): Promise<TransferResult[]> {
    if (!Array.isArray(inputs) || inputs.length === 0)
      throw new InvalidTransfer('createTransfers needs at least one transfer');
    if (inputs.length > MAX_LINKED) throw new InvalidTransfer(`at most ${MAX_LINKED} linked transfers`);
    const req: Array<NormalizedInput | LedgerError> = inputs.map((i) => {
      try {
        return normalizeInput(i);
      } catch (e) {
        if (e instanceof LedgerError) return e;
        throw e;
      }
    });
    const bad = req.findIndex((r) => r instanceof LedgerError);
    if (bad >= 0) return failedResults(req, bad, req[bad] as LedgerError);
    return this.batcher.submit(req);
  }

  /** Creates one transfer; throws its typed LedgerError on failure. `created` is false on an idempotent replay. */
  async createTransfer(input: TransferInput): Promise<Transfer & { created: boolean }> {
    const [r] = await this.createTransfers([input]);
    if (!r) throw new Error('no result');
    if (r.status === 'failed') throw r.error;
    return { ...r.transfer, created: r.status === 'created' };
  }

  async getTransfer(id: string): Promise<Transfer | null> {
    const row = await this.db('ledger_transfers').where({ id }).first();
    return row ? rowToTransfer(row) : null;
  }

  async transfersByReference(reference: string): Promise<Transfer[]> {
    const rows = await this.db('ledger_transfers')
      .where({ reference })
      .orderBy([{ column: 'created_at' }, { column: 'id' }]);
    return rows.map(rowToTransfer);
  }

  /**
   * Voids, through the normal posting path, holds whose timeout passed by `now` (default: the
   * current time). Each void is its own request, so one failure does not block the others.
   */
  async voidExpiredPending(now: Date = new Date(), limit = 1000): Promise<VoidExpiredResult> {
    const rows = await this.db.raw(
      `select p.id from ledger_transfers p
        where p.type = 'pending' and p.expires_at <= ?
          and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
        order by p.expires_at, p.id limit ?`,
      [now, limit],
    );
    const ids = (rows.rows as Array<{ id: string }>).map((r) => r.id);
    const result: VoidExpiredResult = { voided: [], skipped: [], failed: [] };
    await Promise.all(
      ids.map(async (pendingId) => {
        const [r] = await this.createTransfers([
          {
            id: expiryVoidId(pendingId),
            void: true,
            pendingId,
            kind: 'pending_expired',
            metadata: { reason: 'timeout' },
          },
        ]);
        if (!r) return;
        if (r.status !== 'failed') result.voided.push(pendingId);
        else if (r.error.code === 'PENDING_ALREADY_RESOLVED') result.skipped.push(pendingId);
        else result.failed.push({ pendingId, code: r.error.code, message: r.error.message });
      }),
    );
    return result;
  }

  // ---------------------------------------------------------------- balances and statements

  /** Current balance: posted (normal side), held (outgoing holds) and available = posted - held. */
  async balance(accountId: string): Promise<Balance> {
    const acc = await this.getAccount(accountId);
    if (!acc) throw new AccountNotFound(accountId);
    const b = balanceOf(acc);
    return { posted: b.posted, held: b.held, available: b.posted - b.held };
  }

  /** The balance as it was at instant `at` (after every entry written at or before it). */
  async balanceAt(accountId: string, at: Date): Promise<Balance> {
    const acc = await this.getAccount(accountId);
    if (!acc) throw new AccountNotFound(accountId);
    const row = await this.db('ledger_entries')
      .where('account_id', accountId)
      .andWhere('created_at', '<=', at)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ])
      .first('balance_after', 'held_after');
    if (!row) return { posted: 0n, held: 0n, available: 0n };
    const posted = toBig(row.balance_after);
    const held = toBig(row.held_after);
    return { posted, held, available: posted - held };
  }

  /** An account's entries, newest first by default, time-ranged [from, to) and cursor-paginated. */
  async statement(accountId: string, query: StatementQuery = {}): Promise<Statement> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 1000);
    const desc = (query.order ?? 'desc') === 'desc';
    // The page of entries is taken first (keyset on the entries' index) and only then joined to
    // its transfers: with stale statistics PostgreSQL would otherwise join every entry of the
    // account before ordering and limiting.
    const page = this.db('ledger_entries')
      .where('account_id', accountId)
      .select(
        'seq',
        'transfer_id',
        'created_at',
        'side',
        'posted_amount',
        'pending_delta',
        'balance_after',
        'held_after',
      );
    if (query.from) page.andWhere('created_at', '>=', query.from);
    if (query.to) page.andWhere('created_at', '<', query.to);
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      page.andWhereRaw(`(created_at, seq) ${desc ? '<' : '>'} (?::timestamptz, ?::bigint)`, [c.at, c.seq.toString()]);
    }
    const dir = desc ? 'desc' : 'asc';
    page
      .orderBy([
        { column: 'created_at', order: dir },
        { column: 'seq', order: dir },
      ])
      .limit(limit + 1);
    const q = this.db
      .from(page.as('e'))
      .join('ledger_transfers as t', 't.id', 'e.transfer_id')
      .select('e.*', 't.kind', 't.type', 't.reference')
      .orderBy([
        { column: 'e.created_at', order: dir },
        { column: 'e.seq', order: dir },
      ]);
    const rows = (await q) as Array<Record<string, unknown>>;
    const items: StatementItem[] = rows.slice(0, limit).map((r) => {
      const posted = toBig(r.posted_amount);
      const pend = toBig(r.pending_delta);
      return {
        seq: toBig(r.seq),
        transferId: r.transfer_id as string,
        at: r.created_at as Date,
        kind: r.kind as string,
        type: transferTypeOf(r.type),
        amount: posted > 0n ? posted : pend < 0n ? -pend : pend,
        direction: r.side as 'debit' | 'credit',
        balanceAfter: toBig(r.balance_after),
        heldAfter: toBig(r.held_after),
        reference: (r.reference as string | null) ?? null,
      };
    });
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? timeSeqCursor.encode({ at: last.at, seq: last.seq }) : null,
    };
  }

  // ---------------------------------------------------------------- integrity

  /** Checks every invariant over one snapshot; see verify.ts. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db);
  }

  /** Flushes queued transfers and stops accepting new ones. Does not destroy the knex instance. */
  close(): Promise<void> {
    return this.batcher.close();
  }
}
