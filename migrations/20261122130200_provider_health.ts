import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Each provider's circuit breaker, shared by every worker process. No row means closed.
    create table provider_health (
      provider              text primary key references recharge_providers(name) on delete cascade,
      state                 text not null default 'closed' check (state in ('closed','open','half_open')),
      consecutive_failures  integer not null default 0 check (consecutive_failures >= 0),
      -- open: when the cool-down ends; half_open: when an unanswered probe may be retried
      opened_until          timestamptz,
      updated_at            timestamptz not null default now(),
      check ((state = 'closed') = (opened_until is null))
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table provider_health');
}
