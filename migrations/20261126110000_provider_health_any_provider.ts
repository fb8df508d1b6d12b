import type { Knex } from 'knex';

/**
 * provider_health holds the circuit breaker of every provider the platform calls, not only the
 * recharge providers: the KYC provider's is the row `kyc` (src/providers/circuit-breakers.ts).
 * Recharge providers are disabled, never deleted, so no breaker row is left behind by the
 * dropped cascade.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table provider_health drop constraint provider_health_provider_fkey');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    delete from provider_health h where not exists (select 1 from recharge_providers p where p.name = h.provider);
    alter table provider_health
      add constraint provider_health_provider_fkey foreign key (provider)
      references recharge_providers(name) on delete cascade;
  `);
}
