import type { Knex } from 'knex';

/**
 * Immutability, enforced by the database:
 * - transfers and entries refuse UPDATE, DELETE and TRUNCATE;
 * - accounts refuse DELETE, and changes to their totals unless the transaction is the
 *   ledger's posting path (which sets the transaction-local flag tijori.ledger_posting = 'on').
 *   Kind, owner, cap and metadata stay updatable.
 * - the chain head only moves forward, and only from the posting path.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function ledger_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger table % is append-only: % refused', tg_table_name, tg_op
        using errcode = 'P0001', hint = 'corrections are reversing transfers';
    end $$;

    create trigger ledger_transfers_immutable before update or delete on ledger_transfers
      for each row execute function ledger_refuse_change();
    create trigger ledger_transfers_no_truncate before truncate on ledger_transfers
      for each statement execute function ledger_refuse_change();
    create trigger ledger_entries_immutable before update or delete on ledger_entries
      for each row execute function ledger_refuse_change();
    create trigger ledger_entries_no_truncate before truncate on ledger_entries
      for each statement execute function ledger_refuse_change();

    create or replace function ledger_guard_account() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'ledger accounts cannot be deleted (%)', old.id using errcode = 'P0001';
      end if;
      if (new.debits_posted, new.credits_posted, new.debits_pending, new.credits_pending, new.id, new.normal_side)
           is distinct from
         (old.debits_posted, old.credits_posted, old.debits_pending, old.credits_pending, old.id, old.normal_side)
         and coalesce(current_setting('tijori.ledger_posting', true), '') <> 'on' then
        raise exception 'ledger account % totals change only through the ledger posting path', old.id
          using errcode = 'P0001';
      end if;
      return new;
    end $$;
    create trigger ledger_accounts_guard before update or delete on ledger_accounts
      for each row execute function ledger_guard_account();
    create trigger ledger_accounts_no_truncate before truncate on ledger_accounts
      for each statement execute function ledger_refuse_change();

    create or replace function ledger_guard_chain_head() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' or new.last_seq < old.last_seq
         or coalesce(current_setting('tijori.ledger_posting', true), '') <> 'on' then
        raise exception 'ledger chain head moves only forward, through the posting path' using errcode = 'P0001';
      end if;
      return new;
    end $$;
    create trigger ledger_chain_head_guard before update or delete on ledger_chain_head
      for each row execute function ledger_guard_chain_head();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists ledger_chain_head_guard on ledger_chain_head;
    drop trigger if exists ledger_accounts_no_truncate on ledger_accounts;
    drop trigger if exists ledger_accounts_guard on ledger_accounts;
    drop trigger if exists ledger_entries_no_truncate on ledger_entries;
    drop trigger if exists ledger_entries_immutable on ledger_entries;
    drop trigger if exists ledger_transfers_no_truncate on ledger_transfers;
    drop trigger if exists ledger_transfers_immutable on ledger_transfers;
    drop function if exists ledger_guard_chain_head();
    drop function if exists ledger_guard_account();
    drop function if exists ledger_refuse_change();
  `);
}
