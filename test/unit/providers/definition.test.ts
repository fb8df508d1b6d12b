import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, providerCredentials } from '../../../src/config';
import { parseDefinition, ProviderConfigError, resolveBaseUrl } from '../../../src/providers/recharge/definition';
import { formatAmount } from '../../../src/providers/recharge/http-provider';
import { DEFAULT_PROVIDER_CREDENTIALS } from '../../../dev/simulators/operator/server';
import { jsonDefinition } from './fixtures';

function problems(raw: unknown): string {
  try {
    parseDefinition('t', raw);
  } catch (err) {
    assert.ok(err instanceof ProviderConfigError);
    return err.message;
  }
  assert.fail('expected the definition to be refused');
}

describe('provider definition', () => {
  test('a valid definition parses with its defaults filled in', () => {
    const d = parseDefinition('t', jsonDefinition());
    assert.equal(d.timeoutMs, 10_000);
    assert.deepEqual(d.response.unavailableHttpStatuses, [503]);
    assert.equal(d.response.format, 'json');
    assert.deepEqual(d.response.notFound, { httpStatuses: [], errorCodes: ['NO_TXN'], statusCodes: [] });
    assert.equal(d.callback.signature.algorithm, 'hmac-sha256');
    assert.equal(d.callback.signature.encoding, 'hex');
    assert.deepEqual(d.submit.constants, {});
  });

  test('mistakes are refused with the path of each problem', () => {
    const base = jsonDefinition();
    assert.match(
      problems({ ...base, submit: { ...base.submit, method: 'GET', encoding: 'json' } }),
      /submit\.encoding: GET sends its parameters in the query/,
    );
    assert.match(
      problems({ ...base, status: { method: 'POST', path: '/status', encoding: 'form' } }),
      /status\.fields\.clientRef: the status request must carry the clientRef/,
    );
    assert.match(
      problems({ ...base, status: { method: 'GET', path: '/s/{txn}', encoding: 'query' } }),
      /unknown placeholder \{txn\}/,
    );
    assert.match(problems({ ...base, amount: { unit: 'paise', format: 'decimal' } }), /paise are always an integer/);
    assert.match(
      problems({
        ...base,
        response: { ...base.response, codes: { success: ['1'], failed: ['1'] } },
      }),
      /a status code may mean one thing only/,
    );
    assert.match(
      problems({ ...base, credentials: [{ header: 'X-Api-Key', env: 'ALPHA_KEY' }] }),
      /PROVIDER_\* environment variable name/,
    );
    assert.match(problems({ ...base, credentials: [{ param: 'number', env: 'PROVIDER_X' }] }), /also a request field/);
    assert.match(problems({ ...base, apiKey: 'sk-live-123' }), /apiKey/, 'unknown keys (a pasted secret) are refused');
    assert.match(problems({ ...base, operators: { jio: 'J' } }), /operators/);
    assert.match(problems({ ...base, timeoutMs: 10 }), /timeoutMs/);
    assert.match(problems({ ...base, callback: { ...base.callback, signature: undefined } }), /callback\.signature/);
  });

  test('baseUrl placeholders resolve from the deployment, and unknown ones are refused', () => {
    const env = { placeholders: { operatorBaseUrl: 'http://127.0.0.1:4000/providers/' }, secrets: {} };
    assert.equal(resolveBaseUrl('a', '{operatorBaseUrl}/alpha', env), 'http://127.0.0.1:4000/providers/alpha');
    assert.equal(resolveBaseUrl('a', 'https://api.example.in/v2/', env), 'https://api.example.in/v2');
    assert.throws(() => resolveBaseUrl('a', '{elsewhere}/alpha', env), /unknown placeholder \{elsewhere\}/);
    assert.throws(() => resolveBaseUrl('a', 'ftp://x/y', env), /not an http\(s\) URL/);
  });

  test('amounts go out in the provider unit without floats', () => {
    assert.equal(formatAmount(19900n, { unit: 'paise', format: 'integer' }), 19900);
    assert.equal(formatAmount(19905n, { unit: 'rupees', format: 'decimal' }), '199.05');
    assert.equal(formatAmount(19900n, { unit: 'rupees', format: 'decimal' }), '199.00');
    assert.equal(formatAmount(5n, { unit: 'rupees', format: 'decimal' }), '0.05');
    assert.equal(formatAmount(19900n, { unit: 'rupees', format: 'integer' }), 199);
    assert.equal(formatAmount(19950n, { unit: 'rupees', format: 'integer' }), undefined);
    assert.equal(formatAmount(2n ** 60n, { unit: 'paise', format: 'integer' }), undefined);
  });
});

describe('provider credentials in config', () => {
  test('outside production the simulated providers get the simulator credentials', () => {
    const c = loadConfig({});
    assert.equal(c.providers.credentials.PROVIDER_ALPHA_API_KEY, DEFAULT_PROVIDER_CREDENTIALS.alpha.apiKey);
    assert.equal(c.providers.credentials.PROVIDER_BETA_USERID, DEFAULT_PROVIDER_CREDENTIALS.beta.userid);
    assert.equal(c.providers.credentials.PROVIDER_BETA_TOKEN, DEFAULT_PROVIDER_CREDENTIALS.beta.token);
    assert.equal(
      c.providers.credentials.PROVIDER_ALPHA_CALLBACK_SECRET,
      DEFAULT_PROVIDER_CREDENTIALS.alpha.callbackSecret,
    );
    assert.equal(
      c.providers.credentials.PROVIDER_BETA_CALLBACK_SECRET,
      DEFAULT_PROVIDER_CREDENTIALS.beta.callbackSecret,
    );
    assert.notEqual(
      DEFAULT_PROVIDER_CREDENTIALS.alpha.callbackSecret,
      DEFAULT_PROVIDER_CREDENTIALS.beta.callbackSecret,
      'each simulated provider has its own callback secret',
    );
    assert.equal(c.providers.credentials.PROVIDER_CALLBACK_SECRET, undefined, 'no shared callback secret');
    assert.deepEqual(c.providers.rechargeBreaker, { threshold: 5, cooldownMs: 30_000 });
  });

  test('any PROVIDER_* variable is available to definitions; production has no defaults', () => {
    const env = {
      PROVIDER_GAMMA_KEY: 'g-key',
      PROVIDER_ALPHA_API_KEY: 'real-alpha',
      OTHER_SECRET: 'x',
      RECHARGE_BREAKER_THRESHOLD: '3',
      RECHARGE_BREAKER_COOLDOWN_MS: '1500',
    };
    const dev = loadConfig(env);
    assert.equal(dev.providers.credentials.PROVIDER_GAMMA_KEY, 'g-key');
    assert.equal(dev.providers.credentials.PROVIDER_ALPHA_API_KEY, 'real-alpha');
    assert.equal(dev.providers.credentials.OTHER_SECRET, undefined);
    assert.deepEqual(dev.providers.rechargeBreaker, { threshold: 3, cooldownMs: 1500 });

    const prod = providerCredentials(env, true);
    assert.equal(prod.PROVIDER_BETA_TOKEN, undefined);
    assert.equal(prod.PROVIDER_ALPHA_CALLBACK_SECRET, undefined);
    assert.equal(prod.PROVIDER_BETA_CALLBACK_SECRET, undefined);
    assert.equal(prod.PROVIDER_ALPHA_API_KEY, 'real-alpha');
    assert.equal(prod.PROVIDER_GAMMA_KEY, 'g-key');
  });

  test('breaker settings are validated', () => {
    assert.throws(() => loadConfig({ RECHARGE_BREAKER_THRESHOLD: '0' }), /RECHARGE_BREAKER_THRESHOLD/);
    assert.throws(() => loadConfig({ RECHARGE_BREAKER_COOLDOWN_MS: 'soon' }), /RECHARGE_BREAKER_COOLDOWN_MS/);
  });
});
