import type { Knex } from 'knex';

/**
 * A replayed response must be the first response byte for byte; jsonb reorders object keys, json
 * keeps the text as written.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table idempotency_keys alter column response_body type json using response_body::json');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table idempotency_keys alter column response_body type jsonb using response_body::jsonb');
}
