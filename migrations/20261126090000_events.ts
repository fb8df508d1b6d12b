import type { Knex } from 'knex';

/**
 * The event feed (docs/ARCHITECTURE.md "Events"). Status events of recharges and top-ups are
 * written by deferred triggers, in the transaction that changes the status (so an event exists
 * exactly when its change committed, whichever code path made it); wallet and transfer events are
 * derived by the dispatcher from ledger entries, whose gapless sequence is assigned in commit
 * order, and written here in the same transaction that advances its ledger cursor.
 *
 * `txid` is the writing transaction: the dispatcher reads only events of transactions older than
 * every transaction still running and walks them in (txid, seq) order, so an event committed late
 * with a smaller seq can never fall behind its cursor.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table events (
      seq         bigserial primary key,
      id          text not null unique check (id like 'evt\\_%'),
      type        text not null,
      user_id     text not null,
      data        jsonb not null,
      created_at  timestamptz not null default now(),
      txid        xid8 not null default pg_current_xact_id()
    );
    create index events_txid_seq_idx on events (txid, seq);

    -- One dispatcher: how far it has derived events from the ledger and handed events out.
    create table event_cursors (
      name        text primary key,
      ledger_seq  bigint not null,
      txid        xid8 not null default '0',
      seq         bigint not null default 0,
      updated_at  timestamptz not null default now()
    );
    -- From now on: movements made before the feed existed are not announced again.
    insert into event_cursors (name, ledger_seq)
      select 'dispatcher', coalesce((select last_seq from ledger_chain_head where id = 1), 0);

    -- SMS and email alerts: one row per message, its retry state and outcome.
    create table alert_deliveries (
      id              bigserial primary key,
      key             text not null,
      channel         text not null check (channel in ('sms', 'email')),
      user_id         text,
      recipient       text not null,
      subject         text,
      body            text not null,
      status          text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts        integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      last_error      text,
      provider_id     text,
      created_at      timestamptz not null default now(),
      sent_at         timestamptz,
      unique (key, channel)
    );
    create index alert_deliveries_due_idx on alert_deliveries (next_attempt_at) where status = 'pending';

    create table user_alert_settings (
      user_id               text primary key references users(id),
      email                 boolean not null default true,
      low_balance_threshold bigint check (low_balance_threshold >= 0),
      updated_at            timestamptz not null default now()
    );

    create function events_iso(t timestamptz) returns text language sql immutable as
      $f$ select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $f$;

    -- The recharge as GET /v1/recharges/:id answers it (rechargeView), timeline included: the
    -- trigger runs at commit, after the timeline row of the change was written.
    create function events_recharge_status() returns trigger language plpgsql as $f$
    declare
      t text := case new.status
        when 'success' then 'recharge.succeeded' when 'failed' then 'recharge.failed'
        when 'reversed' then 'recharge.reversed' when 'manual_review' then 'recharge.manual_review' end;
    begin
      if t is null then return null; end if;
      insert into events (id, type, user_id, data) values (
        'evt_' || replace(gen_random_uuid()::text, '-', ''), t, new.user_id,
        jsonb_build_object(
          'id', new.id, 'userId', new.user_id, 'operator', new.operator, 'subscriber', new.subscriber,
          'circle', new.circle, 'amount', new.amount, 'status', new.status, 'provider', new.provider,
          'operatorRef', new.operator_ref, 'commission', new.commission, 'failureReason', new.failure_reason,
          'workflowId', new.workflow_id, 'createdAt', events_iso(new.created_at), 'updatedAt', events_iso(new.updated_at),
          'timeline', coalesce((
            select jsonb_agg(jsonb_build_object('at', events_iso(e.at), 'status', e.status, 'note', e.note) order by e.id)
              from recharge_events e where e.recharge_id = new.id), '[]'::jsonb)));
      return null;
    end $f$;
    create constraint trigger recharges_status_event after update of status on recharges
      deferrable initially deferred for each row when (old.status is distinct from new.status)
      execute function events_recharge_status();

    -- The top-up as GET /v1/topups/:id answers it (topupView).
    create function events_topup_status() returns trigger language plpgsql as $f$
    declare
      t text := case new.status when 'completed' then 'topup.completed' when 'rejected' then 'topup.rejected' end;
    begin
      if t is null then return null; end if;
      insert into events (id, type, user_id, data) values (
        'evt_' || replace(gen_random_uuid()::text, '-', ''), t, new.user_id,
        jsonb_build_object(
          'id', new.id, 'userId', new.user_id, 'amount', new.amount, 'method', new.method, 'status', new.status,
          'utr', new.utr, 'paymentUrl', new.payment_url, 'workflowId', new.workflow_id, 'decidedBy', new.decided_by,
          'note', new.note, 'failureReason', new.failure_reason,
          'createdAt', events_iso(new.created_at), 'updatedAt', events_iso(new.updated_at)));
      return null;
    end $f$;
    create constraint trigger topups_status_event after update of status on topups
      deferrable initially deferred for each row when (old.status is distinct from new.status)
      execute function events_topup_status();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists topups_status_event on topups;
    drop trigger if exists recharges_status_event on recharges;
    drop function if exists events_topup_status();
    drop function if exists events_recharge_status();
    drop function if exists events_iso(timestamptz);
    drop table if exists user_alert_settings;
    drop table if exists alert_deliveries;
    drop table if exists event_cursors;
    drop table if exists events;
  `);
}
