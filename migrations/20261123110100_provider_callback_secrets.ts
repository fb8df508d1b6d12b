import type { Knex } from 'knex';

/**
 * The seeded providers verified callbacks with one shared PROVIDER_CALLBACK_SECRET, so whoever
 * held it for one provider could forge the other's callbacks. Each now names a secret of its own.
 * Definitions already changed by the deployment are left as they are.
 */
const SHARED = 'PROVIDER_CALLBACK_SECRET';
const OWN = { alpha: 'PROVIDER_ALPHA_CALLBACK_SECRET', beta: 'PROVIDER_BETA_CALLBACK_SECRET' };

async function rename(knex: Knex, name: string, from: string, to: string): Promise<void> {
  await knex.raw(
    `update recharge_providers
        set definition = jsonb_set(definition, '{callback,signature,secretEnv}', to_jsonb(?::text)),
            updated_at = now()
      where name = ? and definition #>> '{callback,signature,secretEnv}' = ?`,
    [to, name, from],
  );
}

export async function up(knex: Knex): Promise<void> {
  for (const [name, own] of Object.entries(OWN)) await rename(knex, name, SHARED, own);
}

export async function down(knex: Knex): Promise<void> {
  for (const [name, own] of Object.entries(OWN)) await rename(knex, name, own, SHARED);
}
