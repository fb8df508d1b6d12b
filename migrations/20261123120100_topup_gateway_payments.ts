import type { Knex } from 'knex';

/**
 * Every payment the gateway reports for a top-up's order, once per payment id, and what was done
 * with it: credited, refund due (captured money the wallet does not get: operations refund it at
 * the gateway), or nothing (a failed payment). Written by the top-up workflow's activity only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table topup_gateway_payments (
      payment_id   text primary key,
      topup_id     text not null references topups(id),
      order_id     text not null,
      outcome      text not null check (outcome in ('success','failure')),
      amount       bigint not null check (amount > 0),
      action       text check (action in ('credited','refund_due','none')),
      detail       text,
      received_at  timestamptz not null default now(),
      settled_at   timestamptz,
      check ((action is null) = (settled_at is null))
    );
    create index topup_gateway_payments_topup_idx on topup_gateway_payments (topup_id, received_at);
    create index topup_gateway_payments_refund_due_idx on topup_gateway_payments (received_at)
      where action = 'refund_due';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table topup_gateway_payments');
}
