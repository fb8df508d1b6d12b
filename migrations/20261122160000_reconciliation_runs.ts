import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- One row per reconciliation run (scheduled or on demand): the proof of the books over time.
    create table reconciliation_runs (
      id            text primary key,
      workflow_id   text not null,
      trigger       text not null check (trigger in ('schedule', 'manual')),
      ok            boolean not null,
      started_at    timestamptz not null,
      finished_at   timestamptz not null default now(),
      -- counts per check: {ledger:{accounts,transfers,entries,violations}, holds:{checked,...}, settlements:{...}}
      summary       jsonb not null,
      -- each problem found: {check, message, ...} (ledger violations, orphan holds, settlement gaps)
      mismatches    jsonb not null
    );
    create index reconciliation_runs_finished_idx on reconciliation_runs (finished_at desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table reconciliation_runs');
}
