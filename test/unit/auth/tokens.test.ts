import assert from 'node:assert/strict';
import { test } from 'node:test';
import jwt from 'jsonwebtoken';
import { hashToken, looksLikeJwt, newRefreshToken, signAccessToken, verifyAccessToken } from '../../../src/auth/tokens';

const secret = 'a-test-secret-of-at-least-32-characters';

test('an access token carries the user and the session, and verifies only with its secret', () => {
  const token = signAccessToken(secret, { sub: 'usr_1', sid: 'ses_1' }, 900);
  assert.ok(looksLikeJwt(token));
  assert.deepEqual(verifyAccessToken(secret, token), { sub: 'usr_1', sid: 'ses_1' });
  assert.equal(verifyAccessToken(`${secret}x`, token), undefined);
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'usr_2' }));
  assert.equal(verifyAccessToken(secret, `${h}.${forged.toString('base64url')}.${s}`), undefined);
});

test('expired, unsigned and foreign tokens are refused', () => {
  const expired = jwt.sign({ sid: 's', typ: 'access' }, secret, {
    subject: 'u',
    issuer: 'tijori',
    audience: 'tijori-api',
    expiresIn: -10,
  });
  assert.equal(verifyAccessToken(secret, expired), undefined);
  const unsigned = jwt.sign({ sid: 's', typ: 'access', sub: 'u', iss: 'tijori', aud: 'tijori-api' }, '', {
    algorithm: 'none',
  });
  assert.equal(verifyAccessToken(secret, unsigned), undefined);
  const otherAudience = jwt.sign({ sid: 's', typ: 'access' }, secret, {
    subject: 'u',
    issuer: 'tijori',
    audience: 'x',
  });
  assert.equal(verifyAccessToken(secret, otherAudience), undefined);
  const notAccess = jwt.sign({ sid: 's', typ: 'refresh' }, secret, {
    subject: 'u',
    issuer: 'tijori',
    audience: 'tijori-api',
  });
  assert.equal(verifyAccessToken(secret, notAccess), undefined);
});

test('refresh tokens are random, opaque, and not JWTs; only their hash is kept', () => {
  const a = newRefreshToken();
  const b = newRefreshToken();
  assert.notEqual(a, b);
  assert.ok(!looksLikeJwt(a));
  assert.match(hashToken(a), /^[0-9a-f]{64}$/);
  assert.ok(!hashToken(a).includes(a));
});
