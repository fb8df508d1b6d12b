import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { EventConsumer, EventType, MoneyEvent } from './types';

const CURSOR = 'dispatcher';
const WALLET_PREFIX = 'wallet:';
/** Kinds of the ledger's downline transfers (src/wallets/service.ts): also a transfer.completed. */
const transferDirections: Record<string, 'down' | 'up'> = { downline_credit: 'down', upline_pull: 'up' };

interface EntryRow {
  seq: bigint;
  transfer_id: string;
  account_id: string;
  side: 'debit' | 'credit';
  posted_amount: bigint;
  balance_after: bigint;
  created_at: Date;
  kind: string;
  reference: string | null;
  metadata: Record<string, unknown>;
  debit_account_id: string;
  credit_account_id: string;
  /** The wallet owner's low-balance alert level (PUT /v1/me/alerts), null: none. */
  low_balance_threshold: bigint | null;
}

interface EventRow {
  seq: bigint;
  id: string;
  type: EventType;
  user_id: string;
  data: Record<string, unknown>;
  created_at: Date;
  txid: string;
}

const walletOwner = (accountId: string) =>
  accountId.startsWith(WALLET_PREFIX) ? accountId.slice(WALLET_PREFIX.length) : null;

/**
 * The events a ledger entry stands for: a wallet.debited/credited for every posted amount on a
 * user's wallet (holds and voids move no money and announce nothing), and for a downline
 * transfer one transfer.completed, on its credit entry, about its downline party (so both
 * parties' uplines see it).
 */
export function eventsOfEntry(e: EntryRow): Array<Omit<MoneyEvent, 'seq'>> {
  const userId = walletOwner(e.account_id);
  if (!userId || e.posted_amount <= 0n) return [];
  const out: Array<Omit<MoneyEvent, 'seq'>> = [
    {
      id: `evt_w${e.seq}`,
      type: e.side === 'debit' ? 'wallet.debited' : 'wallet.credited',
      userId,
      createdAt: e.created_at,
      data: {
        transferId: e.transfer_id,
        userId,
        at: e.created_at.toISOString(),
        kind: e.kind,
        amount: Number(e.posted_amount),
        direction: e.side,
        balanceAfter: Number(e.balance_after),
        reference: e.reference,
      },
    },
  ];
  const direction = transferDirections[e.kind];
  const from = walletOwner(e.debit_account_id);
  if (direction && e.side === 'credit' && from) {
    const note = typeof e.metadata.note === 'string' ? e.metadata.note : null;
    out.push({
      id: `evt_t${e.seq}`,
      type: 'transfer.completed',
      userId: direction === 'down' ? userId : from,
      createdAt: e.created_at,
      data: {
        id: e.transfer_id,
        status: 'completed',
        direction,
        fromUserId: from,
        toUserId: userId,
        amount: Number(e.posted_amount),
        note,
        createdAt: e.created_at.toISOString(),
      },
    });
  }
  // Only the debit that takes the balance from at or above the user's level to below it: one
  // alert a crossing, however many debits follow while the balance stays low.
  const level = e.low_balance_threshold;
  if (level !== null && e.side === 'debit' && e.balance_after < level && e.balance_after + e.posted_amount >= level) {
    out.push({
      id: `evt_l${e.seq}`,
      type: 'wallet.low_balance',
      userId,
      createdAt: e.created_at,
      data: {
        userId,
        balance: Number(e.balance_after),
        threshold: Number(level),
        transferId: e.transfer_id,
        at: e.created_at.toISOString(),
      },
    });
  }
  return out;
}

/**
 * The dispatcher's side of the feed. `derive` turns new ledger entries into events and advances
 * the ledger cursor in one transaction (exactly once); `handOut` gives the next batch to every
 * consumer, then advances the feed cursor (at least once: consumers enqueue idempotently).
 */
export class EventFeed {
  constructor(private readonly db: Db) {}

  /**
   * One pass of the dispatcher: derive, hand out, let every consumer send what is due, each up to
   * `batchSize`. `full` when one of them filled its batch: more may be waiting, pass again at once;
   * otherwise it took all there was, and passing again at once would cost a dozen statements for a
   * few events.
   */
  async pass(
    consumers: readonly EventConsumer[],
    batchSize: number,
  ): Promise<{ handed: number; sent: number; failed: number; full: boolean }> {
    const derived = await this.derive(batchSize);
    const handed = await this.handOut(consumers, batchSize);
    const results = await Promise.all(consumers.map((c) => c.sendDue(batchSize)));
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const failed = results.reduce((n, r) => n + r.failed, 0);
    const full = derived === batchSize || handed === batchSize || results.some((r) => r.sent + r.failed >= batchSize);
    return { handed, sent, failed, full };
  }

  /** Events for the ledger entries after the cursor (at most `limit` entries); how many entries were read. */
  async derive(limit: number): Promise<number> {
    return this.db.transaction(async (trx) => {
      const cursor = (await trx('event_cursors').where({ name: CURSOR }).forUpdate().first('ledger_seq')) as
        { ledger_seq: bigint } | undefined;
      if (!cursor) throw new Error('event_cursors has no dispatcher row: run the migrations');
      // Entries are numbered in commit order (the ledger's chain head is locked until commit), so
      // nothing can still appear below the last one read.
      const rows = (await trx('ledger_entries as e')
        .join('ledger_transfers as t', 't.id', 'e.transfer_id')
        .joinRaw(
          'left join user_alert_settings as s on starts_with(e.account_id, ?) and s.user_id = substr(e.account_id, ?)',
          [WALLET_PREFIX, WALLET_PREFIX.length + 1],
        )
        .where('e.seq', '>', cursor.ledger_seq.toString())
        .orderBy('e.seq')
        .limit(limit)
        .select(
          'e.seq',
          'e.transfer_id',
          'e.account_id',
          'e.side',
          'e.posted_amount',
          'e.balance_after',
          'e.created_at',
          't.kind',
          't.reference',
          't.metadata',
          't.debit_account_id',
          't.credit_account_id',
          's.low_balance_threshold',
        )) as EntryRow[];
      if (!rows.length) return 0;
      const events = rows.flatMap(eventsOfEntry);
      if (events.length) {
        await trx('events')
          .insert(
            events.map((e) => ({
              id: e.id,
              type: e.type,
              user_id: e.userId,
              data: JSON.stringify(e.data),
              created_at: e.createdAt,
            })),
          )
          .onConflict('id')
          .ignore();
      }
      await trx('event_cursors')
        .where({ name: CURSOR })
        .update({ ledger_seq: rows[rows.length - 1]!.seq.toString(), updated_at: trx.fn.now() });
      return rows.length;
    });
  }

  /**
   * Hands the next batch to every consumer and advances the cursor past it; the number of events.
   * The cursor row stays locked meanwhile, so two dispatchers (a presumed-dead one still running)
   * take turns instead of racing.
   */
  async handOut(consumers: readonly EventConsumer[], limit: number): Promise<number> {
    return this.db.transaction(async (trx) => {
      const cursor = (await trx('event_cursors').where({ name: CURSOR }).forUpdate().first('txid', 'seq')) as
        { txid: string; seq: bigint } | undefined;
      if (!cursor) throw new Error('event_cursors has no dispatcher row: run the migrations');
      const batch = await nextBatch(trx, cursor, limit);
      if (!batch.length) return 0;
      const events = batch.map((r): MoneyEvent => ({
        seq: r.seq,
        id: r.id,
        type: r.type,
        userId: r.user_id,
        createdAt: r.created_at,
        data: r.data,
      }));
      for (const c of consumers) await c.enqueue(events);
      const last = batch[batch.length - 1]!;
      await trx('event_cursors')
        .where({ name: CURSOR })
        .update({ txid: trx.raw('?::xid8', [last.txid]), seq: last.seq.toString(), updated_at: trx.fn.now() });
      return batch.length;
    });
  }
}

/**
 * Events after the cursor in (txid, seq) order, from transactions older than every transaction
 * still running: one still running (or yet to start) has a txid at least that horizon, so it sorts
 * after everything read now and cannot be skipped.
 */
async function nextBatch(trx: Knex.Transaction, cursor: { txid: string; seq: bigint }, limit: number) {
  // Ordered by the qualified columns: a bare "txid" would name the text selected as txid, and as
  // text '10000' sorts before '9999', which skipped events wherever transaction ids gained a digit.
  return (await trx('events')
    .whereRaw('(txid, seq) > (?::xid8, ?)', [cursor.txid, cursor.seq.toString()])
    .whereRaw('txid < pg_snapshot_xmin(pg_current_snapshot())')
    .orderBy([{ column: 'events.txid' }, { column: 'events.seq' }])
    .limit(limit)
    .select('seq', 'id', 'type', 'user_id', 'data', 'created_at', trx.raw('txid::text as txid'))) as EventRow[];
}
