import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- The projection of recharge workflows, written by their activities, read by the API.
    create table recharges (
      id               text primary key,
      user_id          text not null references users(id),
      workflow_id      text not null unique,
      operator         text not null references operators(code),
      subscriber       text not null,
      circle           text,
      amount           bigint not null check (amount > 0),
      status           text not null check (status in
                         ('received','processing','pending','success','failed','reversed','manual_review')),
      provider         text,
      operator_ref     text,
      commission       bigint not null default 0,
      -- a refusal's contract code (RISK_REJECTED, INSUFFICIENT_FUNDS, ...) or the provider's error code
      failure_code     text,
      failure_reason   text,
      created_at       timestamptz not null default now(),
      updated_at       timestamptz not null default now()
    );
    create index recharges_user_idx on recharges (user_id, created_at, id);
    create index recharges_status_idx on recharges (status, created_at);
    -- the duplicate window looks here
    create index recharges_dup_idx on recharges (user_id, operator, subscriber, amount, created_at);

    create table recharge_events (
      id           bigserial primary key,
      recharge_id  text not null references recharges(id),
      at           timestamptz not null default clock_timestamp(),
      status       text not null,
      note         text
    );
    create index recharge_events_recharge_idx on recharge_events (recharge_id, id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table recharge_events; drop table recharges;');
}
