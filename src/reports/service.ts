import type { Knex } from 'knex';
import { whereInSubtree } from '../db/subtree';
import { AppError, notFound } from '../errors';
import {
  postedBalanceBefore,
  postedTakeBacksOfKind,
  postedTotalsByKind,
  postedTransfersOfKind,
  walletAccountId,
} from '../ledger';
import { rechargeReference } from '../recharges/postings';
import type { UserService } from '../users/service';
import type { Caller } from '../users/types';
import { cursorRows } from './cursor';
import { fyQuarter, istDays } from './period';

export interface Daybook {
  userId: string;
  date: string;
  opening: bigint;
  credits: Record<string, bigint>;
  debits: Record<string, bigint>;
  totalCredits: bigint;
  totalDebits: bigint;
  closing: bigint;
  /** opening + credits - debits against the ledger's own closing balance. */
  check: { ok: boolean; computedClosing: bigint };
}

export interface CommissionRow {
  userId: string;
  operator: string | null;
  gross: bigint;
  tds: bigint;
  net: bigint;
  count: number;
}

export interface Money3 {
  gross: bigint;
  tds: bigint;
  net: bigint;
}

export interface CommissionReport {
  from: string;
  to: string;
  items: CommissionRow[];
  totals: Money3 & { count: number };
  byQuarter: Array<Money3 & { quarter: string }>;
}

export const summaryGroups = ['operator', 'provider', 'status', 'user'] as const;
export type SummaryGroup = (typeof summaryGroups)[number];

export interface SummaryRow {
  key: string;
  count: number;
  amount: bigint;
  successCount: number;
  successAmount: bigint;
  /** Successes over finished recharges (success, failed, reversed), 4 decimals; null when none finished. */
  successRate: number | null;
}

const groupColumn: Record<SummaryGroup, string> = {
  operator: 'r.operator',
  provider: "coalesce(r.provider, '')",
  status: 'r.status',
  user: 'r.user_id',
};

/** Where a report looks: a user's subtree, or (path null) everything. */
interface Scope {
  path: string | null;
}

/**
 * Reports: read-only, over the read connection (DATABASE_READ_URL), each scoped to the caller's
 * downline. Lists come as arrays for JSON or as async row iterators (a server-side cursor) for
 * CSV, so a CSV of any size streams in constant memory.
 */
export class ReportService {
  constructor(
    /** The read connection (DATABASE_READ_URL). */
    readonly readDb: Knex,
    private readonly users: UserService,
  ) {}

  private get db(): Knex {
    return this.readDb;
  }

  async providerExists(name: string): Promise<boolean> {
    return (await this.db('recharge_providers').where({ name }).first('name')) !== undefined;
  }

  private async scope(caller: Caller, userId: string | undefined): Promise<Scope> {
    if (userId) return { path: (await this.users.visible(caller, userId)).path };
    return { path: caller.role === 'admin' || caller.role === 'support' ? null : caller.path };
  }

  private inScope(q: Knex.QueryBuilder, pathColumn: string, scope: Scope): Knex.QueryBuilder {
    if (scope.path !== null) whereInSubtree(q, pathColumn, scope.path);
    return q;
  }

  /** One user's wallet over one IST day, in one snapshot. */
  async daybook(caller: Caller, q: { date: string; userId?: string }): Promise<Daybook> {
    const user = await this.users.visible(caller, q.userId ?? caller.id);
    if (user.role === 'support') throw notFound('Wallet');
    const { from, to } = istDays(q.date, q.date);
    const account = walletAccountId(user.id);
    return this.db.transaction(
      async (trx) => {
        const opening = await postedBalanceBefore(trx, account, from);
        const closing = await postedBalanceBefore(trx, account, to);
        const totals = await postedTotalsByKind(trx, account, from, to);
        const credits: Record<string, bigint> = {};
        const debits: Record<string, bigint> = {};
        let totalCredits = 0n;
        let totalDebits = 0n;
        for (const t of totals) {
          if (t.side === 'credit') {
            credits[t.kind] = t.amount;
            totalCredits += t.amount;
          } else {
            debits[t.kind] = t.amount;
            totalDebits += t.amount;
          }
        }
        // A wallet's balance is on its credit side.
        const computedClosing = opening + totalCredits - totalDebits;
        return {
          userId: user.id,
          date: q.date,
          opening,
          credits,
          debits,
          totalCredits,
          totalDebits,
          closing,
          check: { ok: computedClosing === closing, computedClosing },
        };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
  }

  /**
   * Commissions earned and taken back in the range, one row each: (credit_account_id of the
   * earner, reference, created_at, gross, tds, net, n). A claw-back counts negative on the day it
   * was posted, for the commission it takes back: its gross, the TDS withheld on it (returned
   * with the refund, moments before the claw-back) and its net; n counts commissions less claw-backs.
   */
  private commissionsQuery(scope: Scope, range: { from: Date; to: Date }): Knex.QueryBuilder {
    const prefix = walletAccountId('');
    const recharge = rechargeReference('');
    const raw = (sql: string) => this.db.raw(sql);
    const earned = this.db
      .from(postedTransfersOfKind(this.db, 'commission', range).as('e'))
      .select(
        'e.credit_account_id',
        'e.reference',
        'e.created_at',
        raw("coalesce((e.metadata->>'gross')::int8, e.amount) as gross"),
        raw("coalesce((e.metadata->>'tds')::int8, 0) as tds"),
        raw('e.amount as net'),
        raw('1 as n'),
      );
    const takenBack = this.db
      .from(postedTakeBacksOfKind(this.db, 'commission_clawback', 'commission', range).as('k'))
      .select(
        'k.of_credit_account_id as credit_account_id',
        'k.reference',
        'k.created_at',
        raw("-coalesce((k.of_metadata->>'gross')::int8, k.of_amount) as gross"),
        raw("-coalesce((k.of_metadata->>'tds')::int8, 0) as tds"),
        raw('-k.amount as net'),
        raw('-1 as n'),
      );
    const q = this.db
      .from(earned.unionAll(takenBack).as('c'))
      .joinRaw('join users as u on u.id = substr(c.credit_account_id, ?)', [prefix.length + 1])
      .joinRaw('left join recharges as r on starts_with(c.reference, ?) and r.id = substr(c.reference, ?)', [
        recharge,
        recharge.length + 1,
      ]);
    return this.inScope(q, 'u.path', scope);
  }

  private static readonly money = [
    'sum(c.gross)::int8 as gross',
    'sum(c.tds)::int8 as tds',
    'sum(c.net)::int8 as net',
    'sum(c.n)::int as count',
  ];

  /** Commission rows by earner and operator, ordered; `from` and `to` are IST dates, both included. */
  private commissionRowsQuery(scope: Scope, range: { from: Date; to: Date }): Knex.QueryBuilder {
    return this.commissionsQuery(scope, range)
      .groupBy('u.id', 'r.operator')
      .orderBy([{ column: 'u.id' }, { column: 'r.operator' }])
      .select('u.id as userId', 'r.operator as operator', ...ReportService.money.map((m) => this.db.raw(m)));
  }

  async commissions(caller: Caller, q: { from: string; to: string; userId?: string }): Promise<CommissionReport> {
    const scope = await this.scope(caller, q.userId);
    const range = istDays(q.from, q.to);
    return this.db.transaction(
      async (trx) => {
        const items = (await this.commissionRowsQuery(scope, range).transacting(trx)) as CommissionRow[];
        const months = (await this.commissionsQuery(scope, range)
          .transacting(trx)
          .groupByRaw('1')
          .orderByRaw('1')
          .select(
            this.db.raw("to_char(c.created_at at time zone 'Asia/Kolkata', 'YYYY-MM-01') as month"),
            ...ReportService.money.map((m) => this.db.raw(m)),
          )) as Array<Money3 & { month: string; count: number }>;
        const totals = { gross: 0n, tds: 0n, net: 0n, count: 0 };
        const quarters = new Map<string, Money3 & { quarter: string }>();
        for (const m of months) {
          const quarter = fyQuarter(m.month);
          const qt = quarters.get(quarter) ?? { quarter, gross: 0n, tds: 0n, net: 0n };
          qt.gross += m.gross;
          qt.tds += m.tds;
          qt.net += m.net;
          quarters.set(quarter, qt);
          totals.gross += m.gross;
          totals.tds += m.tds;
          totals.net += m.net;
          totals.count += m.count;
        }
        return { from: q.from, to: q.to, items, totals, byQuarter: [...quarters.values()] };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
  }

  async *commissionRows(
    caller: Caller,
    q: { from: string; to: string; userId?: string },
  ): AsyncGenerator<CommissionRow> {
    const scope = await this.scope(caller, q.userId);
    yield* cursorRows<CommissionRow>(this.db, this.commissionRowsQuery(scope, istDays(q.from, q.to)));
  }

  private summaryQuery(scope: Scope, q: { from: string; to: string; groupBy: SummaryGroup }): Knex.QueryBuilder {
    const { from, to } = istDays(q.from, q.to);
    const key = groupColumn[q.groupBy];
    const query = this.db('recharges as r')
      .join('users as u', 'u.id', 'r.user_id')
      .where('r.created_at', '>=', from)
      .andWhere('r.created_at', '<', to)
      .groupByRaw(key)
      .orderByRaw(key)
      .select(
        this.db.raw(`${key} as key`),
        this.db.raw('count(*)::int as count'),
        this.db.raw('sum(r.amount)::int8 as amount'),
        this.db.raw("(count(*) filter (where r.status = 'success'))::int as success_count"),
        this.db.raw("coalesce(sum(r.amount) filter (where r.status = 'success'), 0)::int8 as success_amount"),
        this.db.raw("(count(*) filter (where r.status in ('success', 'failed', 'reversed')))::int as finished"),
      );
    return this.inScope(query, 'u.path', scope);
  }

  async rechargeSummary(
    caller: Caller,
    q: { from: string; to: string; groupBy: SummaryGroup; userId?: string },
  ): Promise<SummaryRow[]> {
    const scope = await this.scope(caller, q.userId);
    const rows = (await this.summaryQuery(scope, q)) as SummaryDbRow[];
    return rows.map(summaryRow);
  }

  async *rechargeSummaryRows(
    caller: Caller,
    q: { from: string; to: string; groupBy: SummaryGroup; userId?: string },
  ): AsyncGenerator<SummaryRow> {
    const scope = await this.scope(caller, q.userId);
    for await (const r of cursorRows<SummaryDbRow>(this.db, this.summaryQuery(scope, q))) yield summaryRow(r);
  }

  /** Refuses anyone but an admin: provider statements are the platform's, not a downline's. */
  static assertAdmin(caller: Caller): void {
    if (caller.role !== 'admin') throw new AppError('FORBIDDEN', 'Provider reconciliation is for admins');
  }
}

interface SummaryDbRow {
  key: string;
  count: number;
  amount: bigint;
  success_count: number;
  success_amount: bigint;
  finished: number;
}

function summaryRow(r: SummaryDbRow): SummaryRow {
  return {
    key: r.key,
    count: r.count,
    amount: r.amount,
    successCount: r.success_count,
    successAmount: r.success_amount,
    successRate: r.finished === 0 ? null : Math.round((r.success_count / r.finished) * 10_000) / 10_000,
  };
}
