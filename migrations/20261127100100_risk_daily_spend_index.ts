import type { Knex } from 'knex';

/**
 * The risk rules' daily spend (src/risk/store.ts) sums a user's recharges of the day: with amount
 * and status in the index it is an index-only scan, not a heap visit per recharge of a busy
 * retailer (bench/risk.ts). Status is already in an index, so status changes lose no HOT updates.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'create index recharges_user_time_spend_idx on recharges (user_id, created_at) include (amount, status, id)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index recharges_user_time_spend_idx');
}
