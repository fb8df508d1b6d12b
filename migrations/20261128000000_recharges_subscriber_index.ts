import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- GET /v1/recharges?subscriber= (history search by number), in list order.
    create index recharges_subscriber_idx on recharges (subscriber, created_at, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index recharges_subscriber_idx;');
}
