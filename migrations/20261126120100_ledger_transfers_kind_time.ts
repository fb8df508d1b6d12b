import type { Knex } from 'knex';

/**
 * The commission report reads the posted transfers of one kind in a period
 * (postedTransfersOfKind): without an index on (kind, created_at) that is a scan of every
 * transfer ever posted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index ledger_transfers_kind_time_idx on ledger_transfers (kind, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index ledger_transfers_kind_time_idx');
}
