import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table operators (
      code          text primary key check (code ~ '^[A-Z0-9]{2,16}$'),
      name          text not null,
      kind          text not null check (kind in ('prepaid','dth')),
      min_amount    bigint not null check (min_amount > 0),
      max_amount    bigint not null check (max_amount >= min_amount),
      -- amounts must be a multiple of this (100 = whole rupees)
      amount_step   bigint not null default 100 check (amount_step > 0),
      -- when set, only these amounts (the operator's plans) are accepted
      plan_amounts  bigint[],
      enabled       boolean not null default true,
      updated_at    timestamptz not null default now()
    );
    insert into operators (code, name, kind, min_amount, max_amount) values
      ('JIO', 'Jio', 'prepaid', 1000, 1000000),
      ('AIRTEL', 'Airtel', 'prepaid', 1000, 1000000),
      ('VI', 'Vi', 'prepaid', 1000, 1000000),
      ('BSNL', 'BSNL', 'prepaid', 1000, 1000000),
      ('TATAPLAY', 'Tata Play', 'dth', 10000, 2500000),
      ('AIRTELDTH', 'Airtel Digital TV', 'dth', 10000, 2500000),
      ('DISHTV', 'Dish TV', 'dth', 10000, 2500000),
      ('D2H', 'Videocon d2h', 'dth', 10000, 2500000),
      ('SUNDIRECT', 'Sun Direct', 'dth', 10000, 2500000);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table operators');
}
