import type { Knex } from 'knex';

/**
 * The bootstrap admin was created with the made-up mobile 9999999999, so whoever received SMS at
 * that number could sign in as admin. An admin's mobile may now be missing (the bootstrap admin
 * has none until TIJORI_ADMIN_MOBILE sets one); every other role still needs one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table users alter column mobile drop not null;
    alter table users add constraint users_mobile_required check (mobile is not null or role = 'admin');
  `);
  await forgetMadeUpAdminMobile(knex);
}

/**
 * Removes the made-up mobile from an existing bootstrap admin and ends what it allowed: sign-in
 * challenges still in flight and the admin's portal sessions (its API keys stay valid).
 */
export async function forgetMadeUpAdminMobile(knex: Knex): Promise<string[]> {
  const rows = (await knex('users')
    .where({ role: 'admin', mobile: '9999999999' })
    .update({ mobile: null, updated_at: knex.fn.now() })
    .returning('id')) as Array<{ id: string }>;
  const ids = rows.map((r) => r.id);
  if (ids.length) {
    await knex('otp_challenges')
      .whereIn('user_id', ids)
      .whereNull('consumed_at')
      .update({ consumed_at: knex.fn.now() });
    await knex('auth_sessions')
      .whereIn('user_id', ids)
      .whereNull('revoked_at')
      .update({ revoked_at: knex.fn.now(), revoked_reason: 'admin' });
  }
  return ids;
}

export async function down(knex: Knex): Promise<void> {
  // Fails while an admin has no mobile: give it one first.
  await knex.raw(`
    alter table users drop constraint users_mobile_required;
    alter table users alter column mobile set not null;
  `);
}
