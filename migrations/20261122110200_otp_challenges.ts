import type { Knex } from 'knex';

/**
 * Sign-in OTP challenges. The OTP is kept only as an HMAC bound to its challenge, the mobile only
 * as an HMAC (a challenge is made for unregistered numbers too, so answers never tell them apart).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table otp_challenges (
      id           text primary key,
      mobile_hash  text not null,
      user_id      text references users(id),
      otp_hash     text not null,
      attempts     int not null default 0 check (attempts >= 0),
      created_at   timestamptz not null default now(),
      expires_at   timestamptz not null,
      consumed_at  timestamptz
    );
    create index otp_challenges_mobile_idx on otp_challenges (mobile_hash, created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table otp_challenges');
}
