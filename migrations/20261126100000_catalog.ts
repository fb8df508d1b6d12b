import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';

/**
 * The catalogue a recharge screen needs: the number series (which operator and circle a mobile
 * number belongs to), the plans of each operator, provider lookup answers kept for a while, and
 * operators that accept plan amounts only. The series and the plans are loaded from the data files
 * documented in data/README.md; admins edit plans afterwards over the API.
 */

/** data/ beside migrations/ (sources) or two levels up (compiled under dist/). */
function dataFile(name: string): string {
  for (const up of ['..', path.join('..', '..')]) {
    const file = path.resolve(__dirname, up, 'data', name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`data/${name} not found beside the migrations`);
}

/** The data files are plain CSV: a header, comma-separated fields, no quoting (descriptions have no commas). */
function readCsv(name: string): Array<Record<string, string>> {
  const [header, ...lines] = fs
    .readFileSync(dataFile(name), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const columns = header!.split(',');
  return lines.map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== columns.length) throw new Error(`data/${name} line ${i + 2}: ${cells.length} fields`);
    return Object.fromEntries(columns.map((c, j) => [c, cells[j]!.trim()]));
  });
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- A series is a number prefix; the longest prefix matching a number decides. Two operators on
    -- one series make it ambiguous: a provider's lookup decides.
    create table number_series (
      series    text not null check (series ~ '^[6-9][0-9]{1,8}$'),
      operator  text not null references operators(code),
      circle    text not null check (circle ~ '^[A-Z]{2,4}$'),
      primary key (series, operator)
    );

    create table plans (
      id             text primary key,
      operator       text not null references operators(code),
      -- null: every circle
      circle         text check (circle ~ '^[A-Z]{2,4}$'),
      amount         bigint not null check (amount > 0),
      validity_days  int not null check (validity_days >= 0),
      data           text,
      talktime       bigint check (talktime >= 0),
      category       text not null check (category ~ '^[a-z_]{2,32}$'),
      description    text not null,
      active         boolean not null default true,
      created_at     timestamptz not null default now(),
      updated_at     timestamptz not null default now()
    );
    create index plans_operator_idx on plans (operator, circle, amount) where active;

    -- What a provider's lookup said about a number (ported numbers included), until expires_at.
    create table subscriber_lookups (
      subscriber  text primary key,
      operator    text not null references operators(code),
      circle      text,
      provider    text not null,
      expires_at  timestamptz not null,
      created_at  timestamptz not null default now()
    );

    alter table operators add column plan_only boolean not null default false;
  `);
  const series = readCsv('number-series.csv');
  if (series.length) await knex('number_series').insert(series);
  const plans = readCsv('plans.csv').map((p, i) => ({
    id: `plan_${p.operator!.toLowerCase()}_${String(i + 1).padStart(4, '0')}`,
    operator: p.operator,
    circle: p.circle || null,
    amount: p.amount,
    validity_days: p.validityDays,
    data: p.data || null,
    talktime: p.talktime || null,
    category: p.category,
    description: p.description,
  }));
  if (plans.length) await knex('plans').insert(plans);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table operators drop column plan_only;
    drop table subscriber_lookups;
    drop table plans;
    drop table number_series;
  `);
}
