import type { Knex } from 'knex';
import { AppError } from '../errors';
import { postedEntriesOfAccounts, walletAccountId } from '../ledger';
import { cursorRows } from '../reports/cursor';
import type { Caller } from '../users/types';
import { groupCandidates, istMonth, type AmlThresholds, type Candidate, type CandidateRow } from './aml';

export type AmlReport = 'str' | 'ctr';

interface DbRow {
  user_id: string;
  name: string;
  role: string;
  reason: CandidateRow['reason'];
  direction: CandidateRow['transferDirection'] | null;
  total: bigint;
  transfer_id: string;
  created_at: Date;
  kind: string;
  side: CandidateRow['transferDirection'];
  amount: bigint;
  reference: string | null;
}

/** Top-ups credit wallets under the reference `topup:<topup id>` (activities/topups.ts). */
const TOPUP_REFERENCE = 'topup:';

/**
 * STR and CTR candidates (src/compliance/aml.ts says what qualifies), over the read connection, in
 * one set-based query per report: the wallets' posted entries of the IST month, totalled per
 * wallet, joined back to the entries that qualify. The CTR looks only at cash-like credits:
 * completed bank-transfer top-ups (a gateway top-up is a card or UPI payment, not cash).
 */
export class ComplianceReports {
  constructor(
    /** The read connection (DATABASE_READ_URL). */
    private readonly readDb: Knex,
    readonly thresholds: AmlThresholds,
  ) {}

  /** Admin and support only: the platform's monitoring, not a downline's. */
  static assertOfficer(caller: Caller): void {
    if (caller.role !== 'admin' && caller.role !== 'support') {
      throw new AppError('FORBIDDEN', 'Compliance reports are for admin and support users');
    }
  }

  private query(report: AmlReport, month: string): Knex.QueryBuilder {
    const db = this.readDb;
    const prefix = walletAccountId('');
    const entries = postedEntriesOfAccounts(db, prefix, istMonth(month));
    const source =
      report === 'str'
        ? entries
        : db
            .from(entries.as('w'))
            .joinRaw('join topups as tp on starts_with(w.reference, ?) and tp.id = substr(w.reference, ?)', [
              TOPUP_REFERENCE,
              TOPUP_REFERENCE.length + 1,
            ])
            .where({ 'w.side': 'credit', 'tp.method': 'bank_transfer', 'tp.status': 'completed' })
            .select('w.*');
    const single = this.thresholds.singlePaise.toString();
    const cumulative = this.thresholds.cumulativePaise.toString();
    return db
      .with('e', source)
      .with(
        'totals',
        db.raw(`select account_id, max(amount) as max_single,
                       coalesce(sum(amount) filter (where side = 'debit'), 0) as debits,
                       coalesce(sum(amount) filter (where side = 'credit'), 0) as credits
                  from e group by account_id`),
      )
      .with(
        'items',
        db.raw(
          `select account_id, 'single'::text as reason, null::text as direction, max_single as total
             from totals where max_single >= ?::int8
           union all
           select account_id, 'cumulative', 'debit', debits from totals where debits >= ?::int8
           union all
           select account_id, 'cumulative', 'credit', credits from totals where credits >= ?::int8`,
          [single, cumulative, cumulative],
        ),
      )
      .from('items as i')
      .join('e', function () {
        this.on('e.account_id', 'i.account_id');
      })
      .whereRaw("case when i.reason = 'single' then e.amount >= ?::int8 else e.side = i.direction end", [single])
      .joinRaw('join users as u on u.id = substr(i.account_id, ?)', [prefix.length + 1])
      .orderBy([
        { column: 'u.id' },
        { column: 'i.reason' },
        { column: 'i.direction' },
        { column: 'e.created_at' },
        { column: 'e.transfer_id' },
      ])
      .select(
        'u.id as user_id',
        'u.name',
        'u.role',
        'i.reason',
        'i.direction',
        db.raw('i.total::int8 as total'),
        'e.transfer_id',
        'e.created_at',
        'e.kind',
        'e.side',
        db.raw('e.amount::int8 as amount'),
        'e.reference',
      );
  }

  private static row(month: string, r: DbRow): CandidateRow {
    return {
      month,
      userId: r.user_id,
      name: r.name,
      role: r.role,
      reason: r.reason,
      direction: r.direction ?? '',
      totalAmount: BigInt(r.total),
      transferId: r.transfer_id,
      at: r.created_at,
      kind: r.kind,
      transferDirection: r.side,
      transferAmount: BigInt(r.amount),
      reference: r.reference ?? '',
    };
  }

  async candidates(report: AmlReport, month: string): Promise<Candidate[]> {
    const rows = (await this.query(report, month)) as DbRow[];
    return groupCandidates(rows.map((r) => ComplianceReports.row(month, r)));
  }

  /** The same candidates as CSV rows, one per qualifying transfer, streamed from a cursor. */
  async *rows(report: AmlReport, month: string): AsyncGenerator<CandidateRow> {
    for await (const r of cursorRows<DbRow>(this.readDb, this.query(report, month))) {
      yield ComplianceReports.row(month, r);
    }
  }
}
