import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- /metrics reads the last minutes of recharges and provider exchanges on every scrape.
    create index recharges_created_idx on recharges (created_at);
    create index provider_exchanges_created_idx on provider_exchanges (created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index recharges_created_idx; drop index provider_exchanges_created_idx;');
}
