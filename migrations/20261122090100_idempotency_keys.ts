import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table idempotency_keys (
      scope            text not null,
      key              text not null,
      request_hash     text not null,
      -- an in-flight request holds the key until then; a crashed one is taken over after it
      locked_until     timestamptz not null,
      response_status  int,
      response_body    jsonb,
      created_at       timestamptz not null default now(),
      completed_at     timestamptz,
      primary key (scope, key)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table idempotency_keys');
}
