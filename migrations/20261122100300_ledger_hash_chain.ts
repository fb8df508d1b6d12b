import type { Knex } from 'knex';

/**
 * The head of the entry hash chain: the last sequence number, its hash and time. Each posting
 * batch locks this single row (after its account locks), numbers and chains its entries, and
 * moves the head in the same transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ledger_chain_head (
      id smallint primary key check (id = 1),
      last_seq bigint not null,
      last_hash text not null,
      last_at timestamptz not null
    );
    insert into ledger_chain_head (id, last_seq, last_hash, last_at)
    values (1, 0, repeat('0', 64), 'epoch');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists ledger_chain_head');
}
