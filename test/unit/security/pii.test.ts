import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import { productionEnv } from '../../support/production-env';
import {
  last4,
  maskAadhaar,
  maskPan,
  parsePiiKeys,
  PiiKeyError,
  PiiVault,
  piiVaultFromConfig,
} from '../../../src/security/pii';

const key = () => randomBytes(32);
const lookupKey = randomBytes(32);
const k1 = key();
const k2 = key();
const vault = (keys: Record<string, Buffer>, activeKeyId: string) =>
  new PiiVault({ keys: new Map(Object.entries(keys)), activeKeyId, lookupKey });

const AADHAAR = '999900000016';
const PAN = 'ABCPE1234F';

describe('PiiVault', () => {
  test('round-trips, and the ciphertext shows neither the value nor a fixed pattern', () => {
    const v = vault({ k1 }, 'k1');
    const a = v.encrypt('aadhaar', AADHAAR);
    const b = v.encrypt('aadhaar', AADHAAR);
    assert.notEqual(a, b, 'a fresh IV each time');
    assert.ok(!a.includes(AADHAAR) && !a.includes(AADHAAR.slice(-4)));
    assert.equal(v.keyIdOf(a), 'k1');
    assert.equal(v.decrypt('aadhaar', a), AADHAAR);
  });

  test('the field is authenticated: a PAN ciphertext does not decrypt as an Aadhaar', () => {
    const v = vault({ k1 }, 'k1');
    assert.throws(() => v.decrypt('aadhaar', v.encrypt('pan', PAN)));
  });

  test('a tampered ciphertext is refused', () => {
    const v = vault({ k1 }, 'k1');
    const [id, iv, tag, ct] = v.encrypt('pan', PAN).split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0]! ^= 1;
    assert.throws(() => v.decrypt('pan', [id, iv, tag, flipped.toString('base64url')].join('.')));
    assert.throws(() => v.decrypt('pan', 'k1.only.three'), PiiKeyError);
  });

  test('key rotation: old ciphertexts stay readable, new ones use the active key, reencrypt moves them', () => {
    const before = vault({ k1 }, 'k1');
    const old = before.encrypt('aadhaar', AADHAAR);
    const during = vault({ k1, k2 }, 'k2');
    assert.equal(during.decrypt('aadhaar', old), AADHAAR);
    assert.equal(during.keyIdOf(during.encrypt('aadhaar', AADHAAR)), 'k2');
    const moved = during.reencrypt('aadhaar', old);
    assert.equal(during.keyIdOf(moved), 'k2');
    assert.equal(during.reencrypt('aadhaar', moved), moved, 'already under the active key');
    const after = vault({ k2 }, 'k2');
    assert.equal(after.decrypt('aadhaar', moved), AADHAAR);
    assert.throws(() => after.decrypt('aadhaar', old), /k1 is not configured/);
  });

  test('look-up hashes are stable across encryption keys, per field, and keyed', () => {
    const a = vault({ k1 }, 'k1');
    const b = vault({ k1, k2 }, 'k2');
    assert.equal(a.lookupHash('aadhaar', AADHAAR), b.lookupHash('aadhaar', AADHAAR));
    assert.match(a.lookupHash('aadhaar', AADHAAR), /^[0-9a-f]{64}$/);
    assert.notEqual(a.lookupHash('aadhaar', AADHAAR), a.lookupHash('pan', AADHAAR));
    const otherKey = new PiiVault({ keys: new Map([['k1', k1]]), activeKeyId: 'k1', lookupKey: randomBytes(32) });
    assert.notEqual(a.lookupHash('aadhaar', AADHAAR), otherKey.lookupHash('aadhaar', AADHAAR));
  });

  test('seal gives ciphertext, hash and last 4 only; masks show only the last 4', () => {
    const v = vault({ k1 }, 'k1');
    const sealed = v.seal('pan', PAN);
    assert.deepEqual(Object.keys(sealed).sort(), ['ciphertext', 'hash', 'last4']);
    assert.equal(sealed.last4, '234F');
    assert.equal(last4(AADHAAR), '0016');
    assert.equal(maskAadhaar('0016'), 'XXXX XXXX 0016');
    assert.equal(maskPan('234F'), 'XXXXXX234F');
  });

  test('configuration errors are refused', () => {
    assert.throws(() => vault({ k1 }, 'k2'), /active PII key k2/);
    assert.throws(() => new PiiVault({ keys: new Map([['k1', k1]]), activeKeyId: 'k1', lookupKey: randomBytes(16) }));
    assert.throws(() => parsePiiKeys(`k1:${randomBytes(16).toString('base64')}`), /32 bytes/);
    assert.throws(() => parsePiiKeys(`bad id:${k1.toString('base64')}`), PiiKeyError);
    assert.throws(() => parsePiiKeys(`k1:${k1.toString('base64')},k1:${k2.toString('base64')}`), /twice/);
    const parsed = parsePiiKeys(`k1:${k1.toString('base64')}, k2:${k2.toString('base64')}`);
    assert.deepEqual([...parsed.keys()], ['k1', 'k2']);
  });

  test('development keys work outside production and are refused in production', () => {
    const v = piiVaultFromConfig(loadConfig({}).pii);
    assert.equal(v.decrypt('pan', v.encrypt('pan', PAN)), PAN);
    const { PII_KEYS: _keys, PII_LOOKUP_KEY: _lookup, ...prodSecrets } = productionEnv;
    assert.throws(() => loadConfig(prodSecrets), /PII_KEYS/);
    const prod = loadConfig({
      ...prodSecrets,
      PII_KEYS: `a:${k1.toString('base64')},b:${k2.toString('base64')}`,
      PII_ACTIVE_KEY_ID: 'b',
      PII_LOOKUP_KEY: lookupKey.toString('base64'),
    });
    assert.equal(piiVaultFromConfig(prod.pii).keyIdOf(piiVaultFromConfig(prod.pii).encrypt('pan', PAN)), 'b');
  });
});
