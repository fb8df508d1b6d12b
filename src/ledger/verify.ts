/**
 * verify(): checks the ledger's invariants over one consistent snapshot (REPEATABLE READ,
 * read only) and reports each violation precisely. Set-based SQL throughout, including the hash
 * chain (recomputed with PostgreSQL's sha256(); the formula matches hash-chain.ts).
 */
import type { Knex } from 'knex';
import { batchHashSql, ENTRY_CONTENT_SQL, GENESIS_HASH, legacyEntryHashSql, TRANSFER_CONTENT_SQL } from './hash-chain';
import type { VerifyReport, Violation } from './types';

const LIMIT = 100;

type Row = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? null : String(v));

type Query = (sql: string) => Promise<Row[]>;

async function checkDebitsEqualCredits(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 1. debits = credits (accounts' totals, and entries)
  const [tot] = await q(`select coalesce(sum(debits_posted), 0)::text dp, coalesce(sum(credits_posted), 0)::text cp,
    coalesce(sum(debits_pending), 0)::text dpe, coalesce(sum(credits_pending), 0)::text cpe from ledger_accounts`);
  if (tot!.dp !== tot!.cp) {
    violations.push({
      check: 'debits_equal_credits',
      message: `total debits_posted ${tot!.dp} != total credits_posted ${tot!.cp}`,
      debits: tot!.dp,
      credits: tot!.cp,
    });
  }
  if (tot!.dpe !== tot!.cpe) {
    violations.push({
      check: 'debits_equal_credits',
      message: `total debits_pending ${tot!.dpe} != total credits_pending ${tot!.cpe}`,
      debits: tot!.dpe,
      credits: tot!.cpe,
    });
  }
  const [etot] = await q(`select coalesce(sum(posted_amount) filter (where side = 'debit'), 0)::text dp,
    coalesce(sum(posted_amount) filter (where side = 'credit'), 0)::text cp,
    coalesce(sum(pending_delta) filter (where side = 'debit'), 0)::text dpe,
    coalesce(sum(pending_delta) filter (where side = 'credit'), 0)::text cpe from ledger_entries`);
  if (etot!.dp !== etot!.cp || etot!.dpe !== etot!.cpe) {
    violations.push({
      check: 'debits_equal_credits',
      message: `entries unbalanced: posted debits ${etot!.dp} vs credits ${etot!.cp}, pending debits ${etot!.dpe} vs credits ${etot!.cpe}`,
    });
  }
  return violations;
}

async function checkAccountTotals(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 2. each account's totals = the sum of its entries
  for (const r of await q(`with s as (
      select account_id,
        coalesce(sum(posted_amount) filter (where side = 'debit'), 0) dp, coalesce(sum(posted_amount) filter (where side = 'credit'), 0) cp,
        coalesce(sum(pending_delta) filter (where side = 'debit'), 0) dpe, coalesce(sum(pending_delta) filter (where side = 'credit'), 0) cpe
      from ledger_entries group by account_id)
    select coalesce(a.id, s.account_id) as id, a.id is null as orphan,
      a.debits_posted::text a_dp, a.credits_posted::text a_cp, a.debits_pending::text a_dpe, a.credits_pending::text a_cpe,
      coalesce(s.dp, 0)::text e_dp, coalesce(s.cp, 0)::text e_cp, coalesce(s.dpe, 0)::text e_dpe, coalesce(s.cpe, 0)::text e_cpe
    from ledger_accounts a full join s on s.account_id = a.id
    where a.id is null or a.debits_posted <> coalesce(s.dp, 0) or a.credits_posted <> coalesce(s.cp, 0)
       or a.debits_pending <> coalesce(s.dpe, 0) or a.credits_pending <> coalesce(s.cpe, 0)
    order by 1 limit ${LIMIT}`)) {
    if (r.orphan) {
      violations.push({
        check: 'account_totals',
        message: `entries reference account ${r.id}, which does not exist`,
        accountId: r.id as string,
      });
      continue;
    }
    const diffs: string[] = [];
    for (const [name, a, e] of [
      ['debits_posted', r.a_dp, r.e_dp],
      ['credits_posted', r.a_cp, r.e_cp],
      ['debits_pending', r.a_dpe, r.e_dpe],
      ['credits_pending', r.a_cpe, r.e_cpe],
    ] as const) {
      if (a !== e) diffs.push(`${name} ${a} != entries ${e}`);
    }
    violations.push({
      check: 'account_totals',
      message: `account ${r.id}: ${diffs.join('; ')}`,
      accountId: r.id as string,
    });
  }
  return violations;
}

async function checkRunningBalancesAndCaps(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 3. balance_after / held_after are the running sums of each account's entries; and (same pass)
  //    no entry that grew a capped account's balance took it above the cap in force then
  //    (recorded on the entry), unless its transfer was exempt from caps. What a cap limits is
  //    the normal-side posted balance plus incoming holds, as in the engine.
  for (const r of await q(`with x as materialized (
      select seq, account_id, transfer_id, balance_after, held_after, run_bal, run_held, run_bal + run_incoming as cap_balance,
        balance_cap, run_bal <> balance_after or run_held <> held_after as bad_run,
        balance_cap is not null and grew and run_bal + run_incoming > balance_cap as over_cap
      from (
        select e.seq, e.account_id, e.transfer_id, e.balance_after, e.held_after, e.balance_cap,
          e.side = a.normal_side and e.posted_amount + e.pending_delta > 0 as grew,
          sum(case when e.side = a.normal_side then e.posted_amount else -e.posted_amount end) over w as run_bal,
          sum(case when e.side <> a.normal_side then e.pending_delta else 0 end) over w as run_held,
          sum(case when e.side = a.normal_side then e.pending_delta else 0 end) over w as run_incoming
        from ledger_entries e join ledger_accounts a on a.id = e.account_id
        window w as (partition by e.account_id collate "C" order by e.seq rows unbounded preceding)) y
      where run_bal <> balance_after or run_held <> held_after
         or (balance_cap is not null and grew and run_bal + run_incoming > balance_cap))
    (select 'running' as problem, seq::text, account_id, transfer_id, balance_after::text, held_after::text, run_bal::text,
       run_held::text, null as cap_balance, null as balance_cap
     from x where bad_run order by seq limit ${LIMIT})
    union all
    (select 'cap', x.seq::text, x.account_id, x.transfer_id, null, null, null, null, x.cap_balance::text, x.balance_cap::text
     from x left join ledger_transfers t on t.id = x.transfer_id
     where x.over_cap and not coalesce(t.exempt_from_cap, false) order by x.seq limit ${LIMIT})`)) {
    if (r.problem === 'cap') {
      violations.push({
        check: 'balance_cap',
        message: `entry ${r.seq}: transfer ${r.transfer_id} took account ${r.account_id} to ${r.cap_balance} paise, above its cap of ${r.balance_cap} in force then, and was not exempt from caps`,
        seq: r.seq as string,
        accountId: r.account_id as string,
        transferId: r.transfer_id as string,
        balance: r.cap_balance,
        cap: r.balance_cap,
      });
      continue;
    }
    violations.push({
      check: 'entry_running_balance',
      message: `entry ${r.seq} (account ${r.account_id}, transfer ${r.transfer_id}): balance_after ${r.balance_after}/held_after ${r.held_after}, running sums give ${r.run_bal}/${r.run_held}`,
      seq: r.seq as string,
      accountId: r.account_id as string,
      transferId: r.transfer_id as string,
    });
  }
  return violations;
}

async function checkFlaggedAccounts(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 4. no flagged account below zero (now, and at any entry)
  for (const r of await q(`select id, debits_posted::text dp, credits_posted::text cp, debits_pending::text dpe, credits_pending::text cpe,
      debits_must_not_exceed_credits dm from ledger_accounts
    where (debits_must_not_exceed_credits and debits_posted + debits_pending > credits_posted)
       or (credits_must_not_exceed_debits and credits_posted + credits_pending > debits_posted) order by id limit ${LIMIT}`)) {
    violations.push({
      check: 'non_negative',
      message: r.dm
        ? `account ${r.id}: debits ${r.dp} + held ${r.dpe} exceed credits ${r.cp}`
        : `account ${r.id}: credits ${r.cp} + pending ${r.cpe} exceed debits ${r.dp}`,
      accountId: r.id as string,
    });
  }
  for (const r of await q(`select e.seq::text, e.account_id, e.transfer_id, e.balance_after::text, e.held_after::text
    from ledger_entries e join ledger_accounts a on a.id = e.account_id
    where ((a.debits_must_not_exceed_credits and a.normal_side = 'credit') or (a.credits_must_not_exceed_debits and a.normal_side = 'debit'))
      and e.balance_after - e.held_after < 0 order by e.seq limit ${LIMIT}`)) {
    violations.push({
      check: 'non_negative',
      message: `entry ${r.seq}: account ${r.account_id} went below zero (balance ${r.balance_after}, held ${r.held_after}) with transfer ${r.transfer_id}`,
      seq: r.seq as string,
      accountId: r.account_id as string,
      transferId: r.transfer_id as string,
    });
  }
  return violations;
}

async function checkPendingResolutions(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 5. each pending transfer resolved at most once, and only by a matching post/void
  for (const r of await q(`select pending_id, array_agg(id order by id) ids from ledger_transfers
    where pending_id is not null group by pending_id having count(*) > 1 limit ${LIMIT}`)) {
    violations.push({
      check: 'pending_resolved_once',
      message: `pending ${r.pending_id} resolved ${(r.ids as string[]).length} times: ${(r.ids as string[]).join(', ')}`,
      transferId: r.pending_id as string,
      resolvedBy: r.ids,
    });
  }
  for (const r of await q(`select r.id, r.type, r.pending_id, p.type as ptype from ledger_transfers r
    left join ledger_transfers p on p.id = r.pending_id
    where r.pending_id is not null and (p.id is null or p.type <> 'pending' or r.debit_account_id <> p.debit_account_id
      or r.credit_account_id <> p.credit_account_id or r.amount > p.amount or (r.type = 'void' and r.amount <> p.amount))
    order by r.id limit ${LIMIT}`)) {
    violations.push({
      check: 'pending_resolved_once',
      message:
        r.ptype === null
          ? `${r.type} ${r.id} references missing pending ${r.pending_id}`
          : `${r.type} ${r.id} does not match its pending ${r.pending_id}`,
      transferId: r.id as string,
    });
  }
  return violations;
}

async function checkTransferEntries(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 6. each transfer has exactly its two entries, with the right effects; no orphan entries
  for (const r of await q(`select t.id collate "C" as id, count(e.seq)::int as n from ledger_transfers t
      left join ledger_transfers p on p.id = t.pending_id
      left join ledger_entries e on e.transfer_id = t.id
    group by t.id collate "C"
    having count(e.seq) <> 2 or count(*) filter (where e.side = 'debit') <> 1
      or not bool_and(coalesce(
           e.account_id = case e.side when 'debit' then t.debit_account_id else t.credit_account_id end
           and e.posted_amount = case when t.type in ('posted', 'post') then t.amount else 0 end
           and e.pending_delta = case t.type when 'pending' then t.amount when 'posted' then 0 else -p.amount end
           and e.created_at = t.created_at, false))
    order by 1 limit ${LIMIT}`)) {
    violations.push({
      check: 'transfer_entries',
      message: `transfer ${r.id}: its ${r.n} entries do not match the transfer`,
      transferId: r.id as string,
    });
  }
  return violations;
}

async function checkHashChain(q: Query): Promise<Violation[]> {
  const violations: Violation[] = [];
  // 7. the hash chain, batch by batch: a batch ends at each entry carrying a hash; its hash is
  //    recomputed from its entries, its transfers and the previous batch's hash; seq gapless.
  //    The same pass reports entries whose transfer does not exist (end of check 6).
  const orphans: Violation[] = [];
  for (const r of await q(`with e as (
      select e.seq, e.hash, e.account_id, e.transfer_id, t.id is null as orphan, ${ENTRY_CONTENT_SQL} as content,
        case when e.side = 'debit' then ${TRANSFER_CONTENT_SQL} end as tcontent,
        count(e.hash) over (order by e.seq rows between unbounded preceding and 1 preceding) as batch
      from ledger_entries e left join ledger_transfers t on t.id = e.transfer_id
    ), b as (
      select batch, min(seq) first_seq, max(seq) last_seq, count(*) n, max(hash) hash,
        string_agg(content, '|' order by seq) econtent, string_agg(tcontent, '|' order by seq) tcontent,
        (array_agg(account_id order by seq desc))[1] account_id, (array_agg(transfer_id order by seq desc))[1] transfer_id,
        array_agg(seq::text order by seq) filter (where orphan) orphan_seqs,
        array_agg(transfer_id order by seq) filter (where orphan) orphan_transfers
      from e group by batch
    ), c as (
      select b.*, coalesce(lag(hash) over (order by batch), '${GENESIS_HASH}') as prev_hash from b
    ), d as (
      select c.*, hash is null or hash <> case when n = 1 then ${legacyEntryHashSql('econtent', 'prev_hash')}
                       else ${batchHashSql('prev_hash', 'econtent', 'tcontent')} end as broken
      from c
    )
    select first_seq::text, last_seq::text, account_id, transfer_id, n::int as n, hash is null as unhashed,
      orphan_seqs, orphan_transfers, broken
    from d where broken or orphan_seqs is not null
    order by last_seq limit ${LIMIT}`)) {
    const seqs = (r.orphan_seqs as string[] | null) ?? [];
    seqs.forEach((seq, i) => {
      const transferId = (r.orphan_transfers as string[])[i]!;
      orphans.push({
        check: 'transfer_entries',
        message: `entry ${seq} references missing transfer ${transferId}`,
        seq,
        transferId,
      });
    });
    if (!r.broken) continue;
    const where = r.n === 1 ? `entry ${r.last_seq}` : `entries ${r.first_seq}..${r.last_seq}`;
    violations.push({
      check: 'hash_chain',
      message: r.unhashed
        ? `${where} end without a chain hash: a batch's hash was removed`
        : `${where} (last: account ${r.account_id}, transfer ${r.transfer_id}) do not match their hash: an entry, a transfer or the predecessor was altered`,
      seq: r.last_seq as string,
      firstSeq: r.first_seq as string,
      accountId: r.account_id as string,
      transferId: r.transfer_id as string,
    });
  }
  violations.push(...orphans.slice(0, LIMIT));
  for (const r of await q(`select seq::text, prev_seq::text from (
      select seq, lag(seq) over (order by seq) as prev_seq from ledger_entries) x
    where coalesce(prev_seq, 0) <> seq - 1 order by seq limit ${LIMIT}`)) {
    violations.push({
      check: 'hash_chain',
      message: `entry ${r.seq} follows entry ${r.prev_seq ?? 'none'}: entries are missing from the chain`,
      seq: r.seq as string,
    });
  }
  const [head] = await q(`select h.last_seq::text, h.last_hash, m.seq::text as max_seq, m.hash as max_hash
    from ledger_chain_head h left join lateral (select seq, hash from ledger_entries order by seq desc limit 1) m on true where h.id = 1`);
  if (!head) violations.push({ check: 'hash_chain', message: 'the chain head row is missing' });
  else if ((head.max_seq ?? '0') !== head.last_seq || (head.max_hash ?? GENESIS_HASH) !== head.last_hash) {
    violations.push({
      check: 'hash_chain',
      message: `chain head says seq ${head.last_seq} hash ${s(head.last_hash)}, last entry is seq ${s(head.max_seq)} hash ${s(head.max_hash)}`,
    });
  }
  return violations;
}

/** In this order: each check's violations are reported in turn. */
const CHECKS = [
  checkDebitsEqualCredits,
  checkAccountTotals,
  checkRunningBalancesAndCaps,
  checkFlaggedAccounts,
  checkPendingResolutions,
  checkTransferEntries,
  checkHashChain,
];

export async function verifyLedger(db: Knex): Promise<VerifyReport> {
  const started = Date.now();
  const checkedAt = new Date().toISOString();
  return db.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    await trx.raw(`set local work_mem = '256MB'`);
    const q = async (sql: string): Promise<Row[]> => ((await trx.raw(sql)) as { rows: Row[] }).rows;

    // counts
    const [counts] = await q(`select (select count(*) from ledger_accounts)::text as accounts,
      (select count(*) from ledger_transfers)::text as transfers, (select count(*) from ledger_entries)::text as entries`);

    const violations: Violation[] = [];
    for (const check of CHECKS) violations.push(...(await check(q)));
    return {
      ok: violations.length === 0,
      checkedAt,
      durationMs: Date.now() - started,
      accounts: Number(counts!.accounts),
      transfers: Number(counts!.transfers),
      entries: Number(counts!.entries),
      violations,
    };
  });
}
