import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import { productionEnv } from '../support/production-env';

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

describe('NODE_ENV=production refuses every development default', () => {
  const dev = loadConfig({});
  /** What development runs with when the variable is unset, read from the development config. */
  const devValues: Record<string, string> = {
    TIJORI_JWT_SECRET: dev.auth.jwtSecret,
    TIJORI_OTP_SECRET: dev.auth.otpSecret,
    TIJORI_MPIN_PEPPER: dev.auth.mpinPepper,
    PII_KEYS: dev.pii.keys,
    PII_LOOKUP_KEY: dev.pii.lookupKey,
    GATEWAY_WEBHOOK_SECRET: dev.providers.gatewayWebhookSecret,
    GATEWAY_MERCHANT_KEY: dev.providers.gatewayMerchantKey,
    KYC_WEBHOOK_SECRET: dev.kyc.webhookSecret,
    TWILIO_ACCOUNT_SID: dev.notify.twilio.accountSid,
    TWILIO_AUTH_TOKEN: dev.notify.twilio.authToken,
    TWILIO_FROM: dev.notify.twilio.from,
    MAIL_FROM: dev.notify.mailFrom,
    OPS_ALERT_EMAIL: dev.notify.opsAlertEmail,
  };
  const devProviderValues = Object.entries(dev.providers.credentials);

  function refusal(env: Record<string, string | undefined>): string {
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
    assert.fail('expected the configuration to be refused');
  }

  test('a complete production configuration loads, and uses none of the development values', () => {
    const c = loadConfig(productionEnv);
    assert.equal(c.providers.gatewayWebhookSecret, productionEnv.GATEWAY_WEBHOOK_SECRET);
    assert.equal(c.providers.gatewayMerchantKey, productionEnv.GATEWAY_MERCHANT_KEY);
    assert.equal(c.kyc.webhookSecret, productionEnv.KYC_WEBHOOK_SECRET);
    assert.equal(c.notify.twilio.authToken, productionEnv.TWILIO_AUTH_TOKEN);
    assert.equal(c.notify.twilio.apiBaseUrl, 'https://api.twilio.com', 'SMS goes to Twilio, not the local sink');
    assert.deepEqual([c.notify.smtp.host, c.notify.smtp.port], ['smtp.example.com', 587]);
    assert.equal(
      c.providers.operatorBaseUrl,
      undefined,
      'no simulated providers unless OPERATOR_PROVIDERS_URL says so',
    );
    assert.deepEqual(c.providers.credentials, {}, 'no simulated provider credentials');
    const text = JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const [name, value] of [...Object.entries(devValues), ...devProviderValues]) {
      assert.ok(!text.includes(value), `${name}'s development value is used`);
    }
  });

  test('each missing variable is refused, named', () => {
    for (const name of [
      ...Object.keys(devValues),
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'KYC_PROVIDER_URL',
      'GATEWAY_URL',
      'SMTP_HOST',
    ]) {
      const env: Record<string, string> = { ...productionEnv };
      delete env[name];
      assert.match(refusal(env), new RegExp(`^  ${name}: required$`, 'm'), name);
      assert.match(
        refusal({ ...productionEnv, [name]: '' }),
        new RegExp(`^  ${name}: required$`, 'm'),
        `${name} empty`,
      );
    }
  });

  test('each development value is refused, named, under its own variable or another', () => {
    for (const [name, value] of Object.entries(devValues)) {
      assert.match(refusal({ ...productionEnv, [name]: value }), new RegExp(`^  ${name}: a development value$`, 'm'));
    }
    assert.match(
      refusal({ ...productionEnv, KYC_WEBHOOK_SECRET: devValues.GATEWAY_WEBHOOK_SECRET }),
      /^ {2}KYC_WEBHOOK_SECRET: a development value$/m,
    );
  });

  test("each simulated provider's development credential or callback secret is refused, named", () => {
    assert.ok(devProviderValues.some(([name]) => name === 'PROVIDER_ALPHA_CALLBACK_SECRET'));
    assert.ok(devProviderValues.some(([name]) => name === 'PROVIDER_BETA_CALLBACK_SECRET'));
    for (const [name, value] of devProviderValues) {
      assert.match(refusal({ ...productionEnv, [name]: value }), new RegExp(`^  ${name}: a development value$`, 'm'));
      assert.match(
        refusal({ ...productionEnv, PROVIDER_GAMMA_CALLBACK_SECRET: value }),
        /^ {2}PROVIDER_GAMMA_CALLBACK_SECRET: a development value$/m,
      );
    }
    const own = loadConfig({ ...productionEnv, PROVIDER_ALPHA_CALLBACK_SECRET: 's'.repeat(32) });
    assert.deepEqual(own.providers.credentials, { PROVIDER_ALPHA_CALLBACK_SECRET: 's'.repeat(32) });
  });

  test('one error lists every problem at once', () => {
    const message = refusal({ NODE_ENV: 'production', GATEWAY_MERCHANT_KEY: devValues.GATEWAY_MERCHANT_KEY });
    for (const name of Object.keys(devValues).filter((n) => n !== 'GATEWAY_MERCHANT_KEY')) {
      assert.match(message, new RegExp(`^  ${name}: required$`, 'm'));
    }
    assert.match(message, /^ {2}GATEWAY_MERCHANT_KEY: a development value$/m);
    assert.match(message, /^ {2}DATABASE_URL: required$/m);
  });

  test('outside production the development values are used', () => {
    for (const [name, value] of Object.entries(devValues)) assert.ok(value, name);
    assert.equal(dev.notify.twilio.apiBaseUrl, 'http://127.0.0.1:3904');
    assert.equal(dev.notify.smtp.port, 2525);
  });
});

test('TIJORI_ADMIN_MOBILE is a 10-digit Indian mobile, and unset by default', () => {
  assert.equal(loadConfig({}).api.bootstrapAdminMobile, undefined);
  assert.equal(loadConfig({ TIJORI_ADMIN_MOBILE: '9876543210' }).api.bootstrapAdminMobile, '9876543210');
  assert.throws(() => loadConfig({ TIJORI_ADMIN_MOBILE: '12345' }), /TIJORI_ADMIN_MOBILE/);
});
