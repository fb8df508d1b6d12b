import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Every raw request/response with a recharge provider (credentials masked), kept for support.
    -- No foreign keys: the history outlives provider configuration, and a rejected callback may
    -- name no recharge of ours.
    create table provider_exchanges (
      id           bigserial primary key,
      recharge_id  text,
      provider     text not null,
      operation    text not null check (operation in ('submit','status','callback')),
      request      jsonb not null,
      response     jsonb,
      error        text,
      duration_ms  integer not null check (duration_ms >= 0),
      created_at   timestamptz not null default now()
    );
    create index provider_exchanges_recharge_idx on provider_exchanges (recharge_id, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table provider_exchanges');
}
