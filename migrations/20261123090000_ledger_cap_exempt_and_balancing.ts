import type { Knex } from 'knex';

/**
 * Transfer flags for refunds and claw-backs (issue 10):
 * - exempt_from_cap: the transfer is not refused by a balance cap (caps limit loads, not refunds).
 *   Only posted and pending transfers grow a balance, so only they carry it.
 * - balancing_debit / balancing_credit (TigerBeetle's flags): `requested_amount` is the upper
 *   bound asked for, `amount` what was actually posted after clamping to the debit account's
 *   available balance and/or the credit account's headroom; it may be 0 (recorded all the same,
 *   so that a replay returns the same result). Only plain posted transfers may balance.
 * - ledger_entries.balance_cap: the cap in force on the entry's account when it was posted (null:
 *   no cap), so verify() can tell a cap breach from a cap lowered later.
 * Every column is covered by the hash chain (src/ledger/hash-chain.ts) without changing the hash
 * of rows written before: their new columns hold the defaults, which the chain leaves out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table ledger_transfers
      add column exempt_from_cap boolean not null default false,
      add column balancing_debit boolean not null default false,
      add column balancing_credit boolean not null default false,
      add column requested_amount bigint,
      drop constraint ledger_transfers_amount_check,
      add constraint ledger_transfers_amount_check check (amount > 0 or (amount = 0 and requested_amount is not null)),
      add constraint ledger_transfers_balancing_check check (
        (balancing_debit or balancing_credit) = (requested_amount is not null)
        and (requested_amount is null
             or (type = 'posted' and reversal_of is null and requested_amount > 0 and amount <= requested_amount))),
      add constraint ledger_transfers_exempt_from_cap_check check (not exempt_from_cap or type in ('posted', 'pending'));
    alter table ledger_entries add column balance_cap bigint check (balance_cap is null or balance_cap >= 0);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table ledger_entries drop column balance_cap;
    alter table ledger_transfers
      drop constraint ledger_transfers_exempt_from_cap_check,
      drop constraint ledger_transfers_balancing_check,
      drop constraint ledger_transfers_amount_check,
      drop column requested_amount,
      drop column balancing_credit,
      drop column balancing_debit,
      drop column exempt_from_cap,
      add constraint ledger_transfers_amount_check check (amount > 0);
  `);
}
