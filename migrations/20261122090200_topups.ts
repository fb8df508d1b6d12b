import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table topups (
      id              text primary key,
      user_id         text not null references users(id),
      amount          bigint not null check (amount > 0),
      method          text not null check (method in ('bank_transfer','gateway')),
      status          text not null check (status in
                        ('pending_approval','awaiting_payment','completed','rejected','expired','failed')),
      utr             text,
      order_id        text unique,
      payment_url     text,
      workflow_id     text not null unique,
      decided_by      text references users(id),
      note            text,
      failure_reason  text,
      created_at      timestamptz not null default now(),
      updated_at      timestamptz not null default now(),
      check ((method = 'bank_transfer') = (utr is not null))
    );
    -- a bank transfer reference can be claimed once per user
    create unique index topups_user_utr_key on topups (user_id, utr) where utr is not null;
    create index topups_user_idx on topups (user_id, created_at, id);
    create index topups_status_idx on topups (status, created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table topups');
}
