import type { Knex } from 'knex';

/**
 * Portal sessions and their rotating refresh tokens. A session is one sign-in; each refresh spends
 * its token and issues the next one in the same family. Tokens are stored as SHA-256 hashes only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table auth_sessions (
      id              text primary key,
      user_id         text not null references users(id),
      created_at      timestamptz not null default now(),
      expires_at      timestamptz not null,
      last_refreshed_at timestamptz,
      revoked_at      timestamptz,
      revoked_reason  text check (revoked_reason in ('logout','refresh_token_reuse','admin')),
      check ((revoked_at is null) = (revoked_reason is null))
    );
    create index auth_sessions_user_idx on auth_sessions (user_id, created_at);

    create table refresh_tokens (
      token_hash  text primary key,
      session_id  text not null references auth_sessions(id),
      issued_at   timestamptz not null default now(),
      expires_at  timestamptz not null,
      spent_at    timestamptz
    );
    create index refresh_tokens_session_idx on refresh_tokens (session_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table refresh_tokens; drop table auth_sessions;');
}
