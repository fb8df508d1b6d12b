import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table commission_plans (
      id          text primary key,
      name        text not null,
      is_default  boolean not null default false,
      created_at  timestamptz not null default now()
    );
    create unique index commission_plans_one_default on commission_plans (is_default) where is_default;

    -- A rule pays a role on a recharge: for one operator, or (operator null) every operator of a
    -- kind, or (both null) every operator. The most specific rule wins.
    create table commission_rules (
      plan_id   text not null references commission_plans(id),
      role      text not null check (role in ('master_distributor','distributor','retailer')),
      operator  text references operators(code),
      kind      text check (kind in ('prepaid','dth')),
      -- 'percent': value in basis points of the recharge amount; 'flat': value in paise
      mode      text not null check (mode in ('percent','flat')),
      value     bigint not null check (value >= 0),
      -- TDS withheld from this commission, in basis points (0 = none)
      tds_bps   int not null default 0 check (tds_bps between 0 and 10000),
      unique nulls not distinct (plan_id, role, operator, kind)
    );

    create table user_commission_plans (
      user_id  text primary key references users(id),
      plan_id  text not null references commission_plans(id)
    );

    insert into commission_plans (id, name, is_default) values ('default', 'Default plan', true);
    insert into commission_rules (plan_id, role, operator, kind, mode, value) values
      ('default', 'retailer', null, 'prepaid', 'percent', 300),
      ('default', 'retailer', null, 'dth', 'percent', 350),
      ('default', 'distributor', null, null, 'percent', 50),
      ('default', 'master_distributor', null, null, 'percent', 25);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table user_commission_plans; drop table commission_rules; drop table commission_plans;');
}
