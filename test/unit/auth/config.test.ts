import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config';
import { productionEnv } from '../../support/production-env';

const strong = {
  TIJORI_JWT_SECRET: 'j'.repeat(40),
  TIJORI_OTP_SECRET: 'o'.repeat(40),
  TIJORI_MPIN_PEPPER: 'p'.repeat(40),
};
// Production also requires the other secrets; these tests are about the auth ones.
const otherProductionSecrets = productionEnv;

test('auth secrets have development defaults outside production', () => {
  const c = loadConfig({ NODE_ENV: 'development' });
  assert.ok(c.auth.jwtSecret.length >= 32);
  assert.equal(c.auth.accessTokenTtlSeconds, 900);
  assert.equal(c.auth.stepUpThresholdPaise, 1_000_000n);
  assert.equal(c.auth.otpPerMobilePerHour, 5);
});

test('production requires each auth secret, and refuses the development defaults', () => {
  for (const name of Object.keys(strong) as Array<keyof typeof strong>) {
    const env: Record<string, string> = { NODE_ENV: 'production', ...otherProductionSecrets, ...strong };
    delete env[name];
    assert.throws(() => loadConfig(env), new RegExp(name));
    const dev = loadConfig({}).auth;
    const devValue = {
      TIJORI_JWT_SECRET: dev.jwtSecret,
      TIJORI_OTP_SECRET: dev.otpSecret,
      TIJORI_MPIN_PEPPER: dev.mpinPepper,
    }[name];
    assert.throws(() => loadConfig({ ...env, [name]: devValue }), new RegExp(name));
  }
  const prod = loadConfig({ NODE_ENV: 'production', ...otherProductionSecrets, ...strong });
  assert.equal(prod.auth.jwtSecret, strong.TIJORI_JWT_SECRET);
});

test('short secrets and a bad threshold are refused', () => {
  assert.throws(() => loadConfig({ TIJORI_JWT_SECRET: 'short' }), /TIJORI_JWT_SECRET/);
  assert.throws(() => loadConfig({ STEP_UP_THRESHOLD_PAISE: '-1' }), /STEP_UP_THRESHOLD_PAISE/);
  assert.equal(loadConfig({ STEP_UP_THRESHOLD_PAISE: '250000' }).auth.stepUpThresholdPaise, 250_000n);
});
