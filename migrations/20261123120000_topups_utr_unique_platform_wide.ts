import type { Knex } from 'knex';

/**
 * A bank transfer reference (UTR) can be claimed once across the whole platform, not once per
 * user. Claims made before this rule are kept as they were (they are the record of what each user
 * asked for): every claim of a reference after its first, by creation order, points at the first
 * in `utr_duplicate_of` and stays out of the unique index; such a claim cannot be approved (the
 * service refuses it) and is listed by `select * from topups where utr_duplicate_of is not null`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table topups add column utr_duplicate_of text references topups(id);
    update topups t set utr_duplicate_of = first.id
      from (select distinct on (upper(utr)) upper(utr) as utr, id
              from topups where utr is not null
             order by upper(utr), created_at, id) first
     where t.utr is not null and upper(t.utr) = first.utr and t.id <> first.id;
    create unique index topups_utr_key on topups (upper(utr)) where utr is not null and utr_duplicate_of is null;
    drop index topups_user_utr_key;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create unique index topups_user_utr_key on topups (user_id, utr) where utr is not null;
    drop index topups_utr_key;
    alter table topups drop column utr_duplicate_of;
  `);
}
