import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table users (
      id          text primary key,
      role        text not null check (role in ('admin','master_distributor','distributor','retailer','support')),
      name        text not null check (length(name) between 1 and 200),
      mobile      text not null unique check (mobile ~ '^[6-9][0-9]{9}$'),
      email       text,
      parent_id   text references users(id),
      -- materialized path of ids from the root down to this user: subtree checks are one LIKE
      path        text not null unique,
      status      text not null default 'active' check (status in ('active','suspended')),
      kyc_tier    text not null default 'none' check (kyc_tier in ('none','min','full')),
      created_at  timestamptz not null default now(),
      updated_at  timestamptz not null default now()
    );
    create index users_parent_idx on users (parent_id, created_at, id);
    create index users_path_idx on users (path text_pattern_ops);

    create table api_keys (
      id            text primary key,
      user_id       text not null references users(id),
      name          text not null,
      key_hash      text not null unique,
      key_prefix    text not null,
      created_by    text references users(id),
      created_at    timestamptz not null default now(),
      last_used_at  timestamptz,
      revoked_at    timestamptz
    );
    create index api_keys_user_idx on api_keys (user_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table api_keys; drop table users;');
}
