import type { Knex } from 'knex';

/**
 * The security audit log. Append-only: the database refuses UPDATE, DELETE and TRUNCATE, so an
 * event, once written, stays as written. No foreign keys: the log outlives whatever it names.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table audit_events (
      seq         bigint generated always as identity primary key,
      id          text not null unique,
      at          timestamptz not null default now(),
      type        text not null check (type ~ '^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$'),
      actor_id    text,
      subject_id  text,
      request_id  text,
      ip          text,
      details     jsonb not null default '{}'::jsonb
    );
    create index audit_events_actor_idx on audit_events (actor_id, seq);
    create index audit_events_subject_idx on audit_events (subject_id, seq);
    create index audit_events_type_idx on audit_events (type, seq);

    create or replace function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'P0001';
    end $$;
    create trigger audit_events_immutable before update or delete on audit_events
      for each row execute function audit_refuse_change();
    create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function audit_refuse_change();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table audit_events;
    drop function if exists audit_refuse_change();
  `);
}
