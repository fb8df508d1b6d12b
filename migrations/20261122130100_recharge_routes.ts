import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Which providers serve an operator, tried in priority order (lowest first).
    create table recharge_routes (
      operator    text not null check (operator ~ '^[A-Z0-9]{2,16}$'),
      provider    text not null references recharge_providers(name) on delete cascade,
      priority    integer not null check (priority >= 0),
      enabled     boolean not null default true,
      created_at  timestamptz not null default now(),
      updated_at  timestamptz not null default now(),
      primary key (operator, provider)
    );
    create index recharge_routes_order_idx on recharge_routes (operator, priority, provider);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table recharge_routes');
}
