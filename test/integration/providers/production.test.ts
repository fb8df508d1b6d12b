import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import { freePort } from '../../../dev/infra/free-port';
import { ProviderConfigError } from '../../../src/providers/recharge/definition';
import { ProviderRegistry, providerEnvironment } from '../../../src/providers/recharge/registry';
import { freshDatabase, type FreshDatabase } from '../../support/fresh-db';
import { productionEnv } from '../../support/production-env';

// A database of its own: the check covers every provider in recharge_providers, and the shared
// database holds the broken ones other tests leave behind.
let fresh: FreshDatabase;
before(async () => {
  fresh = await freshDatabase();
});
after(() => fresh.drop());

/** What production needs for the seeded alpha and beta (were a deployment to keep them enabled). */
const seededSecrets = {
  OPERATOR_PROVIDERS_URL: 'https://aggregator.example.com/providers',
  PROVIDER_ALPHA_API_KEY: 'alpha-production-key',
  PROVIDER_ALPHA_CALLBACK_SECRET: 'a'.repeat(32),
  PROVIDER_BETA_USERID: 'TIJORIPROD',
  PROVIDER_BETA_TOKEN: 'beta-production-token',
  PROVIDER_BETA_CALLBACK_SECRET: 'b'.repeat(32),
};
const missingForSeeded = [
  '{operatorBaseUrl}',
  'PROVIDER_ALPHA_API_KEY',
  'PROVIDER_ALPHA_CALLBACK_SECRET',
  'PROVIDER_BETA_USERID',
  'PROVIDER_BETA_TOKEN',
  'PROVIDER_BETA_CALLBACK_SECRET',
];

function registryFor(env: Record<string, string>): ProviderRegistry {
  return new ProviderRegistry(fresh.db, providerEnvironment(loadConfig(env).providers));
}

async function refusal(registry: ProviderRegistry): Promise<string> {
  try {
    await registry.assertUsable();
  } catch (err) {
    assert.ok(err instanceof ProviderConfigError, String(err));
    return err.message;
  }
  assert.fail('expected the providers to be refused');
}

const escape = (s: string) => s.replace(/[{}]/g, '\\$&');

describe('start-up check of the recharge providers', () => {
  test('development: the seeded providers have their simulator secrets', async () => {
    await registryFor({ NODE_ENV: 'test' }).assertUsable();
  });

  test('production without the seeded providers’ variables: each one is named', async () => {
    const message = await refusal(registryFor(productionEnv));
    for (const name of missingForSeeded) assert.match(message, new RegExp(escape(name)), name);
    for (const [name, value] of Object.entries(seededSecrets)) {
      const rest = Object.fromEntries(Object.entries(seededSecrets).filter(([n]) => n !== name));
      const one = await refusal(registryFor({ ...productionEnv, ...rest }));
      const named = name === 'OPERATOR_PROVIDERS_URL' ? '{operatorBaseUrl}' : name;
      assert.match(one, new RegExp(escape(named)), name);
      assert.ok(!one.includes(value));
    }
  });

  test('production with every variable set: usable', async () => {
    const registry = registryFor({ ...productionEnv, ...seededSecrets });
    await registry.assertUsable();
    assert.ok(await registry.get('alpha'));
    assert.ok(await registry.get('beta'));
  });

  test('one callback secret for two providers is refused, by value or by variable', async () => {
    const sameValue = await refusal(
      registryFor({
        ...productionEnv,
        ...seededSecrets,
        PROVIDER_BETA_CALLBACK_SECRET: seededSecrets.PROVIDER_ALPHA_CALLBACK_SECRET,
      }),
    );
    assert.match(sameValue, /providers alpha, beta share one callback secret/);
    assert.match(sameValue, /PROVIDER_ALPHA_CALLBACK_SECRET, PROVIDER_BETA_CALLBACK_SECRET/);
    assert.ok(!sameValue.includes(seededSecrets.PROVIDER_ALPHA_CALLBACK_SECRET));

    // The seeded definitions as they were before each provider had its own secret.
    const trx = await fresh.db.transaction();
    try {
      await trx.raw(
        `update recharge_providers
            set definition = jsonb_set(definition, '{callback,signature,secretEnv}', '"PROVIDER_CALLBACK_SECRET"')
          where name in ('alpha', 'beta')`,
      );
      const registry = new ProviderRegistry(
        trx,
        providerEnvironment(
          loadConfig({ ...productionEnv, ...seededSecrets, PROVIDER_CALLBACK_SECRET: 's'.repeat(32) }).providers,
        ),
      );
      assert.match(
        await refusal(registry),
        /providers alpha, beta share one callback secret \(PROVIDER_CALLBACK_SECRET\)/,
      );
    } finally {
      await trx.rollback();
    }
  });

  test('a disabled provider that cannot be built does not stop start-up', async () => {
    const trx = await fresh.db.transaction();
    try {
      await trx('recharge_providers').where({ name: 'beta' }).update({ enabled: false });
      const { PROVIDER_BETA_TOKEN: _t, PROVIDER_BETA_CALLBACK_SECRET: _c, ...alphaOnly } = seededSecrets;
      const registry = new ProviderRegistry(
        trx,
        providerEnvironment(loadConfig({ ...productionEnv, ...alphaOnly }).providers),
      );
      await registry.assertUsable();
      assert.equal(await registry.get('beta'), undefined, 'left out: its callbacks are refused');
      await trx('recharge_providers').where({ name: 'beta' }).update({ enabled: true });
      assert.match(await refusal(registry), /PROVIDER_BETA_CALLBACK_SECRET is not set/);
    } finally {
      await trx.rollback();
    }
  });
});

describe('production start-up of the API and the worker', () => {
  const root = path.resolve(__dirname, '../../..');

  /** Runs an entry point as production would, until it exits or `ready` holds for its output. */
  function run(entry: string, env: Record<string, string>, ready?: (out: string) => boolean) {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${entry} neither exited nor got ready:\n${out}`));
      }, 60_000);
      if (ready) {
        child.stdout.on('data', () => {
          if (ready(out)) child.kill('SIGTERM');
        });
      }
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  }

  const env = () => ({
    ...productionEnv,
    DATABASE_URL: fresh.url,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    TIJORI_WORKFLOW_BUNDLE: process.env.TIJORI_WORKFLOW_BUNDLE ?? '',
  });

  for (const entry of ['src/main-api.ts', 'src/main-worker.ts']) {
    test(`${entry} refuses to start, naming each missing provider variable`, async () => {
      const { code, out } = await run(entry, { ...env(), API_PORT: String(await freePort()) });
      assert.equal(code, 1, out);
      for (const name of missingForSeeded) assert.match(out, new RegExp(escape(name)), name);
    });
  }

  test('src/main-api.ts starts once they are set', async () => {
    const port = await freePort();
    const { out } = await run('src/main-api.ts', { ...env(), ...seededSecrets, API_PORT: String(port) }, (o) =>
      o.includes('api listening'),
    );
    assert.match(out, /api listening/);
  });
});
