import type { Knex } from 'knex';

/**
 * Admission tickets (src/recharges/admission.ts): one row per recharge request let through the
 * in-flight bound, kept until its recharge is final. Shared by every API process, so the bound is
 * the platform's, not one process's.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table recharge_admissions (
      recharge_id  text primary key,
      user_id      text not null,
      admitted_at  timestamptz not null default now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table recharge_admissions;');
}
