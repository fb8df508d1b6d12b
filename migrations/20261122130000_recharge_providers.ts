import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Recharge providers as data: the definition (src/providers/recharge/definition.ts) says how to
    -- call one and read its answers. It names the environment variables holding its credentials
    -- and never holds a secret itself.
    create table recharge_providers (
      name        text primary key check (name ~ '^[a-z][a-z0-9_-]{0,31}$'),
      enabled     boolean not null default true,
      definition  jsonb not null check (jsonb_typeof(definition) = 'object'),
      created_at  timestamptz not null default now(),
      updated_at  timestamptz not null default now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table recharge_providers');
}
