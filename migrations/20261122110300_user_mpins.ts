import type { Knex } from 'knex';

/**
 * mPINs (argon2id hashes) and their failure state: consecutive wrong tries lock the mPIN for a
 * while; too many wrong tries within a day freeze the user's money movement until an upline or an
 * admin unlocks it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table user_mpins (
      user_id               text primary key references users(id),
      mpin_hash             text not null,
      set_at                timestamptz not null default now(),
      consecutive_failures  int not null default 0 check (consecutive_failures >= 0),
      -- wrong tries of the last 24 hours (older ones are dropped on the next failure)
      recent_failures       timestamptz[] not null default '{}',
      locked_until          timestamptz,
      frozen_at             timestamptz
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table user_mpins');
}
