import type { Db } from '../db/knex';
import { duesAccountId } from '../ledger';

/** A user that owes the platform (a commission clawed back after it was spent), until paid. */
export interface OutstandingDue {
  userId: string;
  owedPaise: bigint;
  /** When the user first owed anything. */
  since: Date;
}

export interface DuesSummary {
  users: number;
  owedPaise: bigint;
  /** The largest first, at most `limit` of them. */
  items: OutstandingDue[];
}

/**
 * Every outstanding due: the positive balances of the `dues:<userId>` ledger accounts
 * (src/wallets/dues.ts). Read-only; the totals are exact whatever the limit.
 */
export async function outstandingDues(db: Db, limit = 100): Promise<DuesSummary> {
  const prefix = duesAccountId('');
  const owing = db('ledger_accounts').where({ kind: 'dues' }).whereRaw('debits_posted > credits_posted');
  const [totals, rows] = await Promise.all([
    owing
      .clone()
      .first(
        db.raw('count(*)::int8 as users'),
        db.raw('coalesce(sum(debits_posted - credits_posted), 0)::int8 as owed'),
      ) as Promise<{ users: bigint; owed: bigint }>,
    owing
      .clone()
      .select(
        db.raw('substr(id, ?) as user_id', [prefix.length + 1]),
        db.raw('debits_posted - credits_posted as owed'),
        'created_at as since',
      )
      .orderBy([{ column: 'owed', order: 'desc' }, { column: 'id' }])
      .limit(limit) as Promise<Array<{ user_id: string; owed: bigint; since: Date }>>,
  ]);
  return {
    users: Number(totals.users),
    owedPaise: BigInt(totals.owed),
    items: rows.map((r) => ({ userId: r.user_id, owedPaise: BigInt(r.owed), since: r.since })),
  };
}
