import type { Knex } from 'knex';

/**
 * Ledger entries: one per side of each transfer, in one global gapless sequence. Each carries
 * the account's normal-side posted balance and outgoing holds after it (balance_after,
 * held_after), so statements and point-in-time balances need no recomputation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ledger_entries (
      seq bigint primary key check (seq > 0),
      transfer_id text not null,
      account_id text not null,
      side text not null check (side in ('debit', 'credit')),
      posted_amount bigint not null check (posted_amount >= 0),
      pending_delta bigint not null,
      balance_after bigint not null,
      held_after bigint not null,
      created_at timestamptz not null,
      hash text not null
    );
    create index ledger_entries_account_time_idx on ledger_entries (account_id, created_at, seq);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists ledger_entries');
}
