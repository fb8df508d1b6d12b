import type { Knex } from 'knex';

/**
 * Webhooks to API clients (src/webhooks): the endpoints users register, one delivery per
 * (endpoint, event) with its retry state, and one row per attempt for the deliveries listing.
 *
 * The signing secret is stored only as PII-vault ciphertext. An endpoint is never deleted, only
 * marked (its deliveries stay listed for support); `alert_pending` is an owner alert about the
 * endpoint's disabling still to be sent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table webhook_endpoints (
      id                 text primary key,
      owner_id           text not null references users(id),
      url                text not null,
      events             text[] not null check (cardinality(events) > 0),
      status             text not null default 'active' check (status in ('active','disabled')),
      secret_ciphertext  text not null,
      created_at         timestamptz not null default now(),
      updated_at         timestamptz not null default now(),
      failing_since      timestamptz,
      disabled_at        timestamptz,
      alert_pending      boolean not null default false,
      deleted_at         timestamptz,
      check ((status = 'disabled') = (disabled_at is not null))
    );
    create index webhook_endpoints_owner_idx on webhook_endpoints (owner_id) where deleted_at is null;
    create index webhook_endpoints_alert_idx on webhook_endpoints (id) where alert_pending;

    create table webhook_deliveries (
      id               text primary key,
      endpoint_id      text not null references webhook_endpoints(id),
      event_id         text not null,
      type             text not null,
      body             text not null,
      attempt          integer not null default 0 check (attempt >= 0),
      status           text not null default 'pending' check (status in ('pending','delivered','failed')),
      response_status  integer,
      next_attempt_at  timestamptz not null default now(),
      created_at       timestamptz not null default now(),
      updated_at       timestamptz not null default now(),
      delivered_at     timestamptz,
      unique (endpoint_id, event_id)
    );
    create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
    create index webhook_deliveries_endpoint_pending_idx on webhook_deliveries (endpoint_id) where status = 'pending';

    create table webhook_attempts (
      seq              bigint generated always as identity primary key,
      id               text not null unique,
      delivery_id      text not null references webhook_deliveries(id),
      endpoint_id      text not null references webhook_endpoints(id),
      event_id         text not null,
      type             text not null,
      attempt          integer not null check (attempt > 0),
      status           text not null check (status in ('pending','delivered','failed')),
      response_status  integer,
      error            text,
      duration_ms      integer not null,
      at               timestamptz not null default now()
    );
    create index webhook_attempts_endpoint_idx on webhook_attempts (endpoint_id, seq);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table webhook_attempts; drop table webhook_deliveries; drop table webhook_endpoints;');
}
