import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config';
import { capFor } from '../../../src/kyc/caps';

test('defaults: ₹10,000 at none and min, ₹2,00,000 at full; admin and support uncapped', () => {
  const caps = loadConfig({}).kyc.caps;
  assert.equal(capFor('retailer', 'none', caps), 10_000_00n);
  assert.equal(capFor('retailer', 'min', caps), 10_000_00n);
  assert.equal(capFor('distributor', 'full', caps), 2_00_000_00n);
  assert.equal(capFor('master_distributor', 'min', caps), 10_000_00n);
  assert.equal(capFor('admin', 'none', caps), null);
  assert.equal(capFor('support', 'full', caps), null);
});

test('the none tier follows min unless set (0 demands KYC before any balance)', () => {
  assert.equal(capFor('retailer', 'none', loadConfig({ KYC_CAP_MIN_PAISE: '500000' }).kyc.caps), 5_000_00n);
  const strict = loadConfig({ KYC_CAP_NONE_PAISE: '0' }).kyc.caps;
  assert.equal(capFor('retailer', 'none', strict), 0n);
  assert.equal(capFor('retailer', 'min', strict), 10_000_00n);
});

test('per-role overrides per tier, null meaning no cap; other tiers and roles keep the defaults', () => {
  const caps = loadConfig({
    KYC_CAP_FULL_PAISE: '30000000',
    KYC_CAPS_BY_ROLE: JSON.stringify({ distributor: { none: null, full: 500_000_00 }, retailer: { min: 5_000_00 } }),
  }).kyc.caps;
  assert.equal(capFor('distributor', 'none', caps), null);
  assert.equal(capFor('distributor', 'min', caps), 10_000_00n);
  assert.equal(capFor('distributor', 'full', caps), 500_000_00n);
  assert.equal(capFor('retailer', 'min', caps), 5_000_00n);
  assert.equal(capFor('retailer', 'full', caps), 300_000_00n);
  assert.equal(capFor('master_distributor', 'none', caps), 10_000_00n);
});

test('bad cap configuration stops start-up naming the variable', () => {
  assert.throws(() => loadConfig({ KYC_CAPS_BY_ROLE: '{not json' }), /KYC_CAPS_BY_ROLE/);
  assert.throws(() => loadConfig({ KYC_CAPS_BY_ROLE: '{"admin":{"full":1}}' }), /KYC_CAPS_BY_ROLE/);
  assert.throws(() => loadConfig({ KYC_CAPS_BY_ROLE: '{"retailer":{"gold":1}}' }), /KYC_CAPS_BY_ROLE/);
  assert.throws(() => loadConfig({ KYC_CAPS_BY_ROLE: '{"retailer":{"min":1.5}}' }), /KYC_CAPS_BY_ROLE/);
  assert.throws(() => loadConfig({ KYC_CAP_MIN_PAISE: '-1' }), /KYC_CAP_MIN_PAISE/);
});
