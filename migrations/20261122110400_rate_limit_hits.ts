import type { Knex } from 'knex';

/** Hits of the durable sliding-window rate limiter (src/auth/rate-limit.ts), one row per hit. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table rate_limit_hits (
      bucket  text not null,
      at      timestamptz not null default clock_timestamp()
    );
    create index rate_limit_hits_bucket_idx on rate_limit_hits (bucket, at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table rate_limit_hits');
}
