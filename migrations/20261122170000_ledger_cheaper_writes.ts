import type { Knex } from 'knex';

/**
 * Cheaper posting writes, same guarantees:
 * - the account guard fires only when it would refuse (a WHEN condition evaluated by the
 *   executor), instead of calling PL/pgSQL for every account row a posting batch updates;
 * - the hash chain links posting batches instead of single entries: the hash is stored on the
 *   last entry of each batch and covers all its entries and its transfers' full content (see
 *   src/ledger/hash-chain.ts); entries written before this migration keep one hash each.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger ledger_accounts_guard on ledger_accounts;
    create trigger ledger_accounts_guard before update on ledger_accounts
      for each row
      when ((new.debits_posted, new.credits_posted, new.debits_pending, new.credits_pending, new.id, new.normal_side)
              is distinct from
            (old.debits_posted, old.credits_posted, old.debits_pending, old.credits_pending, old.id, old.normal_side)
            and coalesce(current_setting('tijori.ledger_posting', true), '') <> 'on')
      execute function ledger_guard_account();
    create trigger ledger_accounts_no_delete before delete on ledger_accounts
      for each row execute function ledger_guard_account();
    alter table ledger_entries alter column hash drop not null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger ledger_accounts_no_delete on ledger_accounts;
    drop trigger ledger_accounts_guard on ledger_accounts;
    create trigger ledger_accounts_guard before update or delete on ledger_accounts
      for each row execute function ledger_guard_account();
  `);
}
