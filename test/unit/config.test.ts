import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';

test('defaults give a local development stack on 127.0.0.1', () => {
  const c = loadConfig({});
  assert.equal(c.api.host, '127.0.0.1');
  assert.equal(c.api.port, 3000);
  assert.equal(c.temporal.uiPort, 8233);
  assert.equal(c.database.url, undefined);
  assert.equal(c.providers.operatorBaseUrl, 'http://127.0.0.1:3900/providers');
});

test('a bad value stops start-up with a message naming the variable', () => {
  assert.throws(
    () => loadConfig({ API_PORT: 'eighty' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /API_PORT/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  assert.throws(() => loadConfig({ TIJORI_ADMIN_API_KEY: 'short' }), /TIJORI_ADMIN_API_KEY/);
  assert.throws(() => loadConfig({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS/);
});

test('TEMPORAL_TLS gathers the certificate paths', () => {
  const c = loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_PATH: '/ca.pem', TEMPORAL_ADDRESS: 'x:7233' });
  assert.equal(c.temporal.tls?.caPath, '/ca.pem');
  assert.equal(c.temporal.address, 'x:7233');
});
