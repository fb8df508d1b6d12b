import type { Knex } from 'knex';

/**
 * Sanctions screening (src/compliance): the watchlist in force (replaced whole by each load from
 * its CSV file), one row per load, and every hit of a user's name against it. A hit is recorded
 * once per user and list entry, so a reload re-finds an old hit without freezing the user again
 * after an admin cleared it. Users gain the status pending_review: signs in, moves no money.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table users drop constraint users_status_check,
      add constraint users_status_check check (status in ('active','suspended','pending_review'));

    create table watchlist_loads (
      id          text primary key,
      source      text not null,
      sha256      text not null,
      entries     int not null check (entries >= 0),
      loaded_by   text references users(id),
      loaded_at   timestamptz not null default now()
    );

    create table watchlist_entries (
      load_id     text not null references watchlist_loads(id),
      line        int not null,
      list        text not null,
      name        text not null,
      aliases     text[] not null default '{}',
      country     text,
      listed_on   date,
      primary key (load_id, line)
    );

    create table sanctions_hits (
      id          text primary key,
      user_id     text not null references users(id),
      list        text not null,
      entry_name  text not null,
      matched     text not null,
      score       numeric(5,4) not null,
      load_id     text references watchlist_loads(id),
      status      text not null default 'open' check (status in ('open','cleared')),
      created_at  timestamptz not null default now(),
      cleared_at  timestamptz,
      cleared_by  text references users(id),
      note        text,
      unique (user_id, list, entry_name)
    );
    create index sanctions_hits_open_idx on sanctions_hits (created_at, id) where status = 'open';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table sanctions_hits;
    drop table watchlist_entries;
    drop table watchlist_loads;
    update users set status = 'suspended' where status = 'pending_review';
    alter table users drop constraint users_status_check,
      add constraint users_status_check check (status in ('active','suspended'));
  `);
}
