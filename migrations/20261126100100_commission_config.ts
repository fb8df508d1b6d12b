import type { Knex } from 'knex';

/**
 * Commission plans that change without rewriting history: a plan's rules come in sets, each from
 * its effective_from on (the seeded rules are in force since -infinity), and a plan is assigned to a
 * user or to a role from a date on. The TDS settings of section 194H, one row, editable by admins.
 * Provider alpha (the simulator) gains its operator lookup.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table commission_plans add column updated_at timestamptz not null default now();

    alter table commission_rules add column effective_from timestamptz not null default '-infinity';
    alter table commission_rules drop constraint commission_rules_plan_id_role_operator_kind_key;
    alter table commission_rules
      add constraint commission_rules_set_key unique nulls not distinct (plan_id, effective_from, role, operator, kind);

    -- The plan a user (or every user of a role without a plan of its own) earns by, from effective_from.
    -- Nothing here: the earlier user_commission_plans, else the default plan, as before.
    create table commission_plan_assignments (
      id              text primary key,
      plan_id         text not null references commission_plans(id),
      user_id         text references users(id),
      role            text check (role in ('master_distributor','distributor','retailer')),
      effective_from  timestamptz not null,
      created_by      text,
      created_at      timestamptz not null default now(),
      check ((user_id is null) <> (role is null)),
      unique nulls not distinct (user_id, role, effective_from)
    );
    create index commission_plan_assignments_user_idx on commission_plan_assignments (user_id, effective_from)
      where user_id is not null;

    create table tds_settings (
      id               boolean primary key default true check (id),
      rate_bps         int not null check (rate_bps between 0 and 10000),
      no_pan_rate_bps  int not null check (no_pan_rate_bps between 0 and 10000),
      threshold_paise  bigint not null check (threshold_paise >= 0),
      updated_at       timestamptz not null default now()
    );
    insert into tds_settings (rate_bps, no_pan_rate_bps, threshold_paise) values (200, 2000, 2000000);

    update recharge_providers
       set definition = definition || '{"lookup": {"method": "GET", "path": "/lookup", "encoding": "query",
             "constants": {}, "fields": {"subscriber": "subscriber"},
             "response": {"format": "json", "fields": {"operator": "operator", "circle": "circle"},
                          "notFoundHttpStatuses": [404]}}}'::jsonb,
           updated_at = now()
     where name = 'alpha' and definition->>'baseUrl' = '{operatorBaseUrl}/alpha' and not jsonb_exists(definition, 'lookup');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    update recharge_providers set definition = definition - 'lookup' where name = 'alpha';
    drop table tds_settings;
    drop table commission_plan_assignments;
    delete from commission_rules where effective_from <> '-infinity';
    alter table commission_rules drop constraint commission_rules_set_key;
    alter table commission_rules drop column effective_from;
    alter table commission_rules
      add constraint commission_rules_plan_id_role_operator_kind_key unique nulls not distinct (plan_id, role, operator, kind);
    alter table commission_plans drop column updated_at;
  `);
}
