import type { Db } from '../db/knex';
import { debitBalancesOfKind, duesAccountId } from '../ledger';

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
  const owing = () => db.from(debitBalancesOfKind(db, 'dues').as('owing'));
  const [totals, rows] = await Promise.all([
    owing().first(db.raw('count(*)::int8 as users'), db.raw('coalesce(sum(balance), 0)::int8 as owed')) as Promise<{
      users: bigint;
      owed: bigint;
    }>,
    owing()
      .select(db.raw('substr(id, ?) as user_id', [prefix.length + 1]), 'balance as owed', 'created_at as since')
      .orderBy([{ column: 'owed', order: 'desc' }, { column: 'id' }])
      .limit(limit) as Promise<Array<{ user_id: string; owed: bigint; since: Date }>>,
  ]);
  return {
    users: Number(totals.users),
    owedPaise: BigInt(totals.owed),
    items: rows.map((r) => ({ userId: r.user_id, owedPaise: BigInt(r.owed), since: r.since })),
  };
}
