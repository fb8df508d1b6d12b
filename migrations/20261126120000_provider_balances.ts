import type { Knex } from 'knex';

/**
 * Providers' prepaid balances: the simulated providers' definitions gain their balance request
 * and the level below which operations are alerted (₹50,000); provider_balances keeps what the
 * last check read, so an alert goes out once when a balance falls below its level, not at every
 * check while it stays there. Definitions already changed by the deployment are left as they are.
 */
const BALANCES = {
  alpha: {
    method: 'GET',
    path: '/account/balance',
    encoding: 'query',
    constants: {},
    response: { format: 'json', fields: { balance: 'balance' }, unit: 'paise' },
    alertBelowPaise: 50_000_00,
  },
  beta: {
    method: 'POST',
    path: '/api/balance',
    encoding: 'form',
    constants: {},
    response: { format: 'json', fields: { balance: 'data.bal' }, unit: 'rupees' },
    alertBelowPaise: 50_000_00,
  },
};

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table provider_balances (
      provider text primary key,
      balance_paise bigint not null,
      alert_below_paise bigint not null,
      below boolean not null,
      -- Times the balance fell below its level: the key of each crossing's alert.
      crossings integer not null default 0,
      checked_at timestamptz not null
    );
  `);
  for (const [name, balance] of Object.entries(BALANCES)) {
    await knex.raw(
      `update recharge_providers
          set definition = jsonb_set(definition, '{balance}', ?::jsonb), updated_at = now()
        where name = ? and definition->>'baseUrl' = ? and not jsonb_exists(definition, 'balance')`,
      [JSON.stringify(balance), name, `{operatorBaseUrl}/${name}`],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update recharge_providers set definition = definition - 'balance' where name in ('alpha', 'beta')`);
  await knex.raw('drop table provider_balances');
}
