import type { Knex } from 'knex';

/**
 * Ledger transfers. The caller-chosen id is the idempotency key (primary key). A post/void
 * names its pending transfer in pending_id, unique: a hold is resolved at most once. A
 * correction names the original in reversal_of, unique: a transfer is reversed at most once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ledger_transfers (
      id text primary key check (id ~ '^[A-Za-z0-9:_.\\-]{1,160}$'),
      type text not null check (type in ('posted', 'pending', 'post', 'void')),
      debit_account_id text not null,
      credit_account_id text not null,
      amount bigint not null check (amount > 0),
      kind text not null,
      reference text,
      metadata jsonb not null default '{}'::jsonb,
      pending_id text,
      reversal_of text,
      timeout_seconds integer check (timeout_seconds is null or timeout_seconds > 0),
      expires_at timestamptz,
      created_at timestamptz not null,
      check (debit_account_id <> credit_account_id),
      check ((type in ('post', 'void')) = (pending_id is not null)),
      check (reversal_of is null or type = 'posted'),
      check ((expires_at is null) = (timeout_seconds is null))
    );
    create unique index ledger_transfers_pending_id_key on ledger_transfers (pending_id) where pending_id is not null;
    create unique index ledger_transfers_reversal_of_key on ledger_transfers (reversal_of) where reversal_of is not null;
    create index ledger_transfers_reference_idx on ledger_transfers (reference) where reference is not null;
    create index ledger_transfers_expiry_idx on ledger_transfers (expires_at) where type = 'pending' and expires_at is not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists ledger_transfers');
}
