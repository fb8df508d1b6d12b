import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { captureLogs, nextOtp, signIn, smsTo, type TokenPair } from '../support/auth';
import { testDb } from '../support/db';
import { startStack, type TestStack } from '../support/stack';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

describe('portal sign-in: OTP, sessions, refresh rotation', () => {
  let stack: TestStack;
  let db: Db;
  let admin: ApiClient;
  let anon: ApiClient;
  let smsUrl: string;
  const logs = captureLogs('debug');
  /** Every OTP this file saw: none may ever be logged. */
  const otps: string[] = [];

  async function newUser(role = 'retailer'): Promise<{ id: string; mobile: string }> {
    const mobile = uniqueMobile();
    const res = await admin.post('/v1/users', { role, name: `Auth ${role}`, mobile }, false);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as string, mobile };
  }

  async function login(mobile: string): Promise<TokenPair & { otp: string }> {
    const s = await signIn(anon, smsUrl, mobile);
    otps.push(s.otp);
    return s;
  }

  async function auditOf(subjectId: string, type: string) {
    const res = await admin.get<{ items: Array<Record<string, unknown>> }>(
      `/v1/audit?subjectId=${subjectId}&type=${type}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.items;
  }

  before(async () => {
    stack = await startStack({ log: logs.log, env: { AUTH_RATE_LIMIT_PER_IP: '1000' } });
    db = testDb();
    admin = new ApiClient(stack.api.url, await adminKey(db));
    anon = new ApiClient(stack.api.url);
    smsUrl = stack.sims.urls.sms;
  });
  after(async () => {
    await stack.stop();
    await db.destroy();
  });

  test('a registered user signs in with the SMS code and calls the API with the access token', async () => {
    const user = await newUser();
    const pair = await login(user.mobile);
    assert.equal(pair.expiresIn, 900);
    assert.match(pair.refreshToken, /^rtk_/);
    const me = await anon.as(pair.accessToken).get(`/v1/users/${user.id}`);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.id, user.id);
    const signIns = await auditOf(user.id, 'auth.sign_in');
    assert.equal(signIns.length, 1);
    assert.equal(signIns[0]!.actorId, user.id);
    // Stored only as hashes.
    const [challenge] = (await db('otp_challenges').where({ user_id: user.id })) as Array<Record<string, unknown>>;
    assert.match(String(challenge!.otp_hash), /^[0-9a-f]{64}$/);
    assert.ok(!Object.values(challenge!).some((v) => String(v) === pair.otp));
    assert.equal(challenge!.attempts, 1);
    assert.ok(challenge!.consumed_at instanceof Date);
    const tokens = JSON.stringify(await db('refresh_tokens').select('*'));
    assert.ok(!tokens.includes(pair.refreshToken));
  });

  test('an unregistered or suspended mobile gets the same 202 and no SMS', async () => {
    const nobody = uniqueMobile();
    const res = await anon.post('/v1/auth/otp', { mobile: nobody }, false);
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.body).sort(), ['challengeId', 'expiresAt']);
    const guess = await anon.post('/v1/auth/otp/verify', { challengeId: res.body.challengeId, otp: '000000' }, false);
    assert.equal(guess.status, 401);

    const suspended = await newUser();
    assert.equal((await admin.post(`/v1/users/${suspended.id}/suspend`, {}, false)).status, 200);
    assert.equal((await anon.post('/v1/auth/otp', { mobile: suspended.mobile }, false)).status, 202);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await smsTo(smsUrl, nobody)).length, 0);
    assert.equal((await smsTo(smsUrl, suspended.mobile)).length, 0);
  });

  test('the bootstrap admin cannot be signed into by SMS at 9999999999 (or at all, having no mobile)', async () => {
    const made = '9999999999';
    const adminId = (await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')).id as string;
    assert.equal((await db('users').where({ id: adminId }).first('mobile')).mobile, null);
    const seen = (await smsTo(smsUrl, made)).length;
    const res = await anon.post('/v1/auth/otp', { mobile: made }, false);
    assert.equal(res.status, 202);
    const challenge = await db('otp_challenges').where({ id: res.body.challengeId }).first('user_id');
    assert.equal(challenge.user_id, null, 'the challenge signs in nobody');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await smsTo(smsUrl, made)).length, seen, 'no code is sent');
    const guess = await anon.post('/v1/auth/otp/verify', { challengeId: res.body.challengeId, otp: '123456' }, false);
    assert.equal(guess.status, 401);
    assert.equal((await auditOf(adminId, 'auth.sign_in')).length, 0);
  });

  test('bad input is a 400 that changes nothing', async () => {
    const bad = await anon.post<ErrorBody>('/v1/auth/otp', { mobile: '12345' }, false);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    const badVerify = await anon.post<ErrorBody>('/v1/auth/otp/verify', { challengeId: 'x', otp: 'abc' }, false);
    assert.equal(badVerify.status, 400);
    const badRefresh = await anon.post<ErrorBody>('/v1/auth/refresh', {}, false);
    assert.equal(badRefresh.status, 400);
  });

  test('OTP brute force: three wrong tries kill the challenge, even for the right code after', async () => {
    const user = await newUser();
    const seen = (await smsTo(smsUrl, user.mobile)).length;
    const challenge = await anon.post('/v1/auth/otp', { mobile: user.mobile }, false);
    assert.equal(challenge.status, 202);
    const otp = await nextOtp(smsUrl, user.mobile, seen);
    otps.push(otp);
    const wrong = otp === '111111' ? '222222' : '111111';
    for (const left of [2, 1, 0]) {
      const res = await anon.post<ErrorBody>(
        '/v1/auth/otp/verify',
        { challengeId: challenge.body.challengeId, otp: wrong },
        false,
      );
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'UNAUTHENTICATED');
      assert.equal(res.body.error.details?.attemptsLeft, left);
    }
    const late = await anon.post<ErrorBody>(
      '/v1/auth/otp/verify',
      { challengeId: challenge.body.challengeId, otp },
      false,
    );
    assert.equal(late.status, 401);
    assert.equal((await auditOf(user.id, 'auth.otp_failed')).length, 3);
    assert.equal((await auditOf(user.id, 'auth.sign_in')).length, 0);
  });

  test('a code works once', async () => {
    const user = await newUser();
    const seen = (await smsTo(smsUrl, user.mobile)).length;
    const challenge = await anon.post('/v1/auth/otp', { mobile: user.mobile }, false);
    const otp = await nextOtp(smsUrl, user.mobile, seen);
    otps.push(otp);
    const body = { challengeId: challenge.body.challengeId, otp };
    assert.equal((await anon.post('/v1/auth/otp/verify', body, false)).status, 200);
    assert.equal((await anon.post('/v1/auth/otp/verify', body, false)).status, 401);
  });

  test('at most 5 codes a mobile an hour: the 6th is 429 with Retry-After, registered or not', async () => {
    const user = await newUser();
    for (const mobile of [user.mobile, uniqueMobile()]) {
      for (let i = 0; i < 5; i++) {
        assert.equal((await anon.post('/v1/auth/otp', { mobile }, false)).status, 202, `request ${i + 1}`);
      }
      const sixth = await anon.post<ErrorBody>('/v1/auth/otp', { mobile }, false);
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body.error.code, 'RATE_LIMITED');
      const retry = Number(sixth.headers.get('retry-after'));
      assert.ok(retry > 3500 && retry <= 3600, `Retry-After ${retry}`);
    }
    // The count is durable (PostgreSQL), not this process's memory.
    const rows = await db('rate_limit_hits').where('bucket', 'like', 'otp-mobile:%').count<{ count: string }[]>();
    assert.ok(Number(rows[0]!.count) >= 10);
    // Another mobile is unaffected.
    assert.equal((await anon.post('/v1/auth/otp', { mobile: uniqueMobile() }, false)).status, 202);
    await new Promise((r) => setTimeout(r, 300));
    for (const m of await smsTo(smsUrl, user.mobile)) otps.push(/\d{6}/.exec(m.body)![0]);
  });

  test('refresh rotates; reusing a spent refresh token ends the session and its access tokens', async () => {
    const user = await newUser();
    const first = await login(user.mobile);
    const second = await anon.post<TokenPair>('/v1/auth/refresh', { refreshToken: first.refreshToken }, false);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.notEqual(second.body.refreshToken, first.refreshToken);
    assert.equal((await anon.as(second.body.accessToken).get(`/v1/users/${user.id}`)).status, 200);

    const third = await anon.post<TokenPair>('/v1/auth/refresh', { refreshToken: second.body.refreshToken }, false);
    assert.equal(third.status, 200);

    // The first token again: a replay. The whole family dies.
    const replay = await anon.post<ErrorBody>('/v1/auth/refresh', { refreshToken: first.refreshToken }, false);
    assert.equal(replay.status, 401);
    const latest = await anon.post('/v1/auth/refresh', { refreshToken: third.body.refreshToken }, false);
    assert.equal(latest.status, 401);
    for (const token of [first.accessToken, second.body.accessToken, third.body.accessToken]) {
      const res = await anon.as(token).get(`/v1/users/${user.id}`);
      assert.equal(res.status, 401);
    }
    assert.equal((await auditOf(user.id, 'auth.refresh_token_reused')).length, 1);
    // Another session of the same user is untouched.
    const other = await login(user.mobile);
    assert.equal((await anon.as(other.accessToken).get(`/v1/users/${user.id}`)).status, 200);
  });

  test('logout ends the session; an unknown or forged token is 401', async () => {
    const user = await newUser();
    const pair = await login(user.mobile);
    const client = anon.as(pair.accessToken);
    assert.equal((await client.post('/v1/auth/logout', undefined, false)).status, 204);
    assert.equal((await client.get(`/v1/users/${user.id}`)).status, 401);
    assert.equal((await anon.post('/v1/auth/refresh', { refreshToken: pair.refreshToken }, false)).status, 401);
    assert.equal((await auditOf(user.id, 'auth.logout')).length, 1);

    const fresh = await login(user.mobile);
    const [h, p] = fresh.accessToken.split('.');
    assert.equal((await anon.as(`${h}.${p}.${'A'.repeat(43)}`).get(`/v1/users/${user.id}`)).status, 401);
    assert.equal((await anon.post('/v1/auth/refresh', { refreshToken: 'rtk_unknown_token_value' }, false)).status, 401);
    // API keys are revoked, not logged out.
    const apiLogout = await admin.post<ErrorBody>('/v1/auth/logout', undefined, false);
    assert.equal(apiLogout.status, 403);
  });

  test('security headers include a strict CSP on API answers', async () => {
    const res = await fetch(`${stack.api.url}/healthz`);
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });

  test('no OTP ever appears in the logs', async () => {
    const text = logs.text();
    assert.match(text, /sign-in code sent/, 'the capture sees the stack logs');
    assert.ok(otps.length >= 5);
    for (const otp of otps) assert.doesNotMatch(text, new RegExp(`(?<![0-9])${otp}(?![0-9])`), `OTP ${otp} was logged`);
    // Redaction by key holds even for a careless log line.
    const probe = captureLogs('info');
    probe.log.info(
      { body: { otp: '987123', mpin: '482913', refreshToken: 'rtk_x' }, headers: { 'x-mpin': '482913' } },
      'probe',
    );
    assert.doesNotMatch(probe.text(), /987123|482913|rtk_x/);
  });
});

describe('rate limits per IP on auth routes and per credential', () => {
  let stack: TestStack;
  let db: Db;
  before(async () => {
    stack = await startStack({ noWorker: true, env: { AUTH_RATE_LIMIT_PER_IP: '3', API_RATE_LIMIT_PER_MINUTE: '4' } });
    db = testDb();
  });
  after(async () => {
    await stack.stop();
    await db.destroy();
  });

  test('the 4th auth request from one address in a window is 429 with Retry-After', async () => {
    const anon = new ApiClient(stack.api.url);
    for (let i = 0; i < 3; i++)
      assert.equal((await anon.post('/v1/auth/otp', { mobile: uniqueMobile() }, false)).status, 202);
    const res = await anon.post<ErrorBody>('/v1/auth/refresh', { refreshToken: 'rtk_whatever' }, false);
    assert.equal(res.status, 429);
    assert.equal(res.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  });

  test('each API key may make API_RATE_LIMIT_PER_MINUTE requests a minute', async () => {
    const admin = new ApiClient(stack.api.url, await adminKey(db));
    const user = await admin.post('/v1/users', { role: 'retailer', name: 'Busy', mobile: uniqueMobile() }, false);
    const key = (await admin.post('/v1/api-keys', { userId: user.body.id, name: 'busy' }, false)).body.key as string;
    const busy = admin.as(key);
    for (let i = 0; i < 4; i++) assert.equal((await busy.get(`/v1/users/${user.body.id as string}`)).status, 200);
    const limited = await busy.get<ErrorBody>(`/v1/users/${user.body.id as string}`);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Counted per key: the admin's own key was used three times and is still fine.
    assert.equal((await admin.get(`/v1/users/${user.body.id as string}`)).status, 200);
  });
});
