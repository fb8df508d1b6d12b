import type { Knex } from 'knex';

/** Ledger accounts: running totals in the TigerBeetle style, flags, and an updatable balance cap. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ledger_accounts (
      id text primary key check (id ~ '^[A-Za-z0-9:_.\\-]{1,160}$'),
      kind text not null,
      owner text,
      normal_side text not null check (normal_side in ('debit', 'credit')),
      debits_must_not_exceed_credits boolean not null default false,
      credits_must_not_exceed_debits boolean not null default false,
      balance_cap bigint check (balance_cap is null or balance_cap >= 0),
      metadata jsonb not null default '{}'::jsonb,
      debits_posted bigint not null default 0 check (debits_posted >= 0),
      credits_posted bigint not null default 0 check (credits_posted >= 0),
      debits_pending bigint not null default 0 check (debits_pending >= 0),
      credits_pending bigint not null default 0 check (credits_pending >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    ) with (fillfactor = 50);
    -- fillfactor 50: every posting batch rewrites its accounts' totals; free space on each page
    -- lets PostgreSQL do heap-only (HOT) updates, which skip index maintenance.
    create index ledger_accounts_owner_idx on ledger_accounts (owner) where owner is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists ledger_accounts');
}
