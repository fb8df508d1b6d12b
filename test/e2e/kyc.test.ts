import assert from 'node:assert/strict';
import { createHmac, randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/knex';
import { verhoeffCheckDigit } from '../../src/kyc/verhoeff';
import { walletAccountId, Ledger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { KYC_TEST_INPUTS } from '../../dev/simulators/kyc';
import { connectClient } from '../../src/temporal/connection';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { recordHistory } from '../support/histories';
import { startStack, type TestStack } from '../support/stack';

type Json = Record<string, unknown>;

/** Every Aadhaar and PAN number this file sends: none may ever show up in plaintext. */
const used = { aadhaar: new Set<string>(), pan: new Set<string>() };

function newAadhaar(): string {
  const base = `${randomInt(2, 10)}${String(randomInt(0, 1e10)).padStart(10, '0')}`;
  const n = `${base}${verhoeffCheckDigit(base)}`;
  used.aadhaar.add(n);
  return n;
}

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const letter = () => letters[randomInt(0, 26)]!;

function newPan(): string {
  const pan = `${letter()}${letter()}${letter()}P${letter()}${String(randomInt(0, 10_000)).padStart(4, '0')}${letter()}`;
  used.pan.add(pan);
  return pan;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const wrongOtp = (otp: string) => String((Number(otp) + 1) % 1_000_000).padStart(6, '0');

/** A KYC test bench over one stack: users, keys, and the simulator's OTPs and SMS. */
class Bench {
  admin!: ApiClient;
  constructor(
    readonly stack: TestStack,
    readonly db: Db,
  ) {}

  async init() {
    this.admin = new ApiClient(this.stack.api.url, await adminKey(this.db));
    return this;
  }

  async user(role: 'distributor' | 'retailer', parentId?: string) {
    const mobile = uniqueMobile();
    const created = await this.admin.post('/v1/users', { role, name: `KYC ${role}`, mobile, parentId }, false);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const key = (await this.admin.post('/v1/api-keys', { userId: id, name: 'kyc' }, false)).body.key as string;
    return { id, mobile, api: this.admin.as(key) };
  }

  async aadhaarOtp(aadhaar: string): Promise<string> {
    const res = await fetch(`${this.stack.sims.urls.kyc}/otps?aadhaarLast4=${aadhaar.slice(-4)}`);
    const { items } = (await res.json()) as { items: Array<{ otp: string }> };
    assert.ok(items[0], 'the provider sent an OTP');
    return items[0].otp;
  }

  async smsOtp(mobile: string): Promise<string> {
    const res = await fetch(`${this.stack.sims.urls.sms}/messages?to=${mobile}`);
    const { items } = (await res.json()) as { items: Array<{ body: string }> };
    // Money alerts reach the same mobile at their own pace: the newest code, not the newest SMS.
    const m = items.map((i) => /\b(\d{6}) is your Tijori (?:KYC|sign-in) code/.exec(i.body)).find(Boolean);
    assert.ok(m, 'an SMS with a 6-digit code was sent');
    return m[1]!;
  }

  async kyc(api: ApiClient, userId: string): Promise<Json> {
    const r = await api.get(`/v1/kyc/${userId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async kycWhen(api: ApiClient, userId: string, ok: (k: Json) => boolean): Promise<Json> {
    return waitFor(`KYC state of ${userId}`, async () => {
      const k = await this.kyc(api, userId);
      return ok(k) ? k : undefined;
    });
  }

  async verifyMobile(u: { id: string; mobile: string; api: ApiClient }) {
    const sent = await u.api.post('/v1/kyc/mobile/otp');
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body.status, 'otp_sent');
    const v = await u.api.post('/v1/kyc/mobile/verify', { otp: await this.smsOtp(u.mobile) });
    assert.deepEqual(v.body, { status: 'verified', tier: 'min' });
  }

  async verifyAadhaar(api: ApiClient, aadhaar = newAadhaar()) {
    const sent = await api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: aadhaar });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const v = await api.post('/v1/kyc/aadhaar/verify', { otp: await this.aadhaarOtp(aadhaar) });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.status, 'verified', JSON.stringify(v.body));
    return aadhaar;
  }

  async fullKyc(u: { id: string; mobile: string; api: ApiClient }, opts: { mobile?: boolean } = {}) {
    if (opts.mobile !== false) await this.verifyMobile(u);
    await this.verifyAadhaar(u.api);
    const p = await u.api.post('/v1/kyc/pan', { pan: newPan(), name: 'Asha Verma' });
    assert.equal(p.status, 202, JSON.stringify(p.body));
    assert.deepEqual(p.body, { status: 'pan_pending' });
    return this.kycWhen(u.api, u.id, (k) => k.status === 'verified');
  }

  async fund(userId: string, api: ApiClient, amount: number) {
    const t = await api.post('/v1/topups', { method: 'bank_transfer', amount, utr: `UTR${randomInt(1e9, 1e10)}` });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const a = await this.admin.post(`/v1/topups/${t.body.id as string}/approve`, {}, false);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.userId, userId);
  }

  async balance(userId: string): Promise<number> {
    return (await this.admin.get(`/v1/wallets/${userId}`)).body.balance as number;
  }
}

/** Every string in a decoded protobuf message, payload bytes (JSON inside) read as text. */
function textsOf(v: unknown, out: string[] = []): string[] {
  if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
  else if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) textsOf(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) textsOf(x, out);
  return out;
}

/** Every log line the stack writes, at debug level, to scan for identifiers. */
const logLines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(chunk.toString('utf8'));
    done();
  },
});

describe('KYC end to end', () => {
  let stack: TestStack;
  let db: Db;
  let b: Bench;
  let temporal: Client;
  const kycUsers: string[] = [];

  before(async () => {
    stack = await startStack({
      log: createLogger('debug', 'tijori', capture),
      env: {
        // Money moves here by API key, without an mPIN for step-up.
        STEP_UP_THRESHOLD_PAISE: String(Number.MAX_SAFE_INTEGER),
        // Distributors fund their retailers here, so only retailers' wallets are capped.
        KYC_CAPS_BY_ROLE: JSON.stringify({ distributor: { none: null, min: null, full: null } }),
        KYC_PAN_POLL_SECONDS: '1',
        KYC_BREAKER_FAILURES: '3',
        KYC_BREAKER_COOLDOWN_SECONDS: '2',
      },
      simulators: { kyc: { panResultDelayMs: 200, webhookRetryDelaysMs: [200] } },
    });
    db = testDb();
    b = await new Bench(stack, db).init();
    temporal = await connectClient(stack.config.temporal);
  });
  after(async () => {
    await temporal.connection.close();
    await stack.stop();
    await db.destroy();
  });

  test('mobile OTP to the min tier, Aadhaar OTP and PAN to the full tier; identifiers masked', async () => {
    const u = await b.user('retailer');
    kycUsers.push(u.id);
    const start = await b.kyc(u.api, u.id);
    assert.equal(start.tier, 'none');
    assert.equal(start.status, 'not_started');

    const early = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: newAadhaar() });
    assert.equal(early.status, 409, 'the mobile number comes first');

    await b.verifyMobile(u);
    assert.equal((await b.admin.get(`/v1/users/${u.id}`)).body.kycTier, 'min');
    const again = await u.api.post('/v1/kyc/mobile/otp');
    assert.equal(again.status, 409, 'already verified');

    const aadhaar = newAadhaar();
    const spaced = `${aadhaar.slice(0, 4)} ${aadhaar.slice(4, 8)} ${aadhaar.slice(8)}`;
    const sent = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: spaced });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body.status, 'otp_sent');
    assert.equal((await b.kyc(u.api, u.id)).status, 'aadhaar_otp_sent');
    const verified = await u.api.post('/v1/kyc/aadhaar/verify', { otp: await b.aadhaarOtp(aadhaar) });
    assert.deepEqual(verified.body, { status: 'verified', tier: 'min' });

    const pan = newPan();
    const submitted = await u.api.post('/v1/kyc/pan', { pan: pan.toLowerCase(), name: 'Asha Verma' });
    assert.equal(submitted.status, 202);
    assert.deepEqual(submitted.body, { status: 'pan_pending' });
    const done = await b.kycWhen(u.api, u.id, (k) => k.status === 'verified');
    assert.equal(done.tier, 'full');
    assert.equal(done.reKycRequired, false);
    assert.equal(done.aadhaar, `XXXX XXXX ${aadhaar.slice(-4)}`);
    assert.equal(done.pan, `XXXXXX${pan.slice(-4)}`);
    assert.ok(Date.parse(done.reKycDueAt as string) > Date.now() + 700 * 86_400_000, 'due in about two years');
    assert.equal((await b.admin.get(`/v1/users/${u.id}`)).body.kycTier, 'full');
    const account = await new Ledger(db).getAccount(walletAccountId(u.id));
    assert.equal(account?.cap, 2_00_000_00n, 'the wallet cap follows the tier');

    const audited = await db('audit_events').where({ subject_id: u.id }).pluck('type');
    for (const t of [
      'kyc.mobile_verified',
      'kyc.aadhaar_verified',
      'kyc.pan_verified',
      'kyc.verified',
      'kyc.tier_changed',
    ]) {
      assert.ok(audited.includes(t), `${t} in ${audited.join(',')}`);
    }
    const done2 = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: newAadhaar() });
    assert.equal(done2.status, 409, 'KYC is complete');

    // Visibility lags a little behind the history.
    await waitFor('the verified cycle to continue as new, and the next run to wait for re-KYC', async () => {
      const runs: string[] = [];
      for await (const w of temporal.workflow.list({ query: `WorkflowId = 'kyc-${u.id}'` })) runs.push(w.status.name);
      return runs.includes('CONTINUED_AS_NEW') && runs.includes('RUNNING') ? true : undefined;
    });
    for await (const w of temporal.workflow.list({ query: `WorkflowId = 'kyc-${u.id}'` })) {
      if (w.status.name === 'CONTINUED_AS_NEW')
        recordHistory(w.workflowId, 'kyc-full-verification', { runId: w.runId });
    }
  });

  test('bad input is 400 and never echoes the number; admin and support do not go through KYC', async () => {
    const u = await b.user('retailer');
    const badDigit = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: KYC_TEST_INPUTS.aadhaar.badCheckDigit });
    assert.equal(badDigit.status, 400);
    assert.equal((badDigit.body.error as Json).code, 'VALIDATION_FAILED');
    assert.ok(!JSON.stringify(badDigit.body).includes(KYC_TEST_INPUTS.aadhaar.badCheckDigit));
    for (const pan of ['ABCDE12345', 'ABC1E1234F', '']) {
      const r = await u.api.post('/v1/kyc/pan', { pan, name: 'Asha Verma' });
      assert.equal(r.status, 400, pan);
    }
    assert.equal((await u.api.post('/v1/kyc/pan', { pan: 'ABCPE1234F', name: '<b>' })).status, 400);
    assert.equal((await u.api.post('/v1/kyc/aadhaar/verify', { otp: '12ab56' })).status, 400);
    assert.equal((await u.api.post('/v1/kyc/mobile/verify', {})).status, 400);
    assert.equal((await b.kyc(u.api, u.id)).status, 'not_started', 'nothing changed');
    assert.equal((await b.admin.post('/v1/kyc/mobile/otp')).status, 403);
  });

  test('wrong mobile OTP and wrong Aadhaar OTP: 3 tries a code, then a new one is needed', async () => {
    const u = await b.user('retailer');
    kycUsers.push(u.id);
    assert.equal((await u.api.post('/v1/kyc/mobile/verify', { otp: '123456' })).status, 409, 'no code yet');
    await u.api.post('/v1/kyc/mobile/otp');
    const mobileOtp = await b.smsOtp(u.mobile);
    assert.deepEqual((await u.api.post('/v1/kyc/mobile/verify', { otp: wrongOtp(mobileOtp) })).body, {
      status: 'invalid_otp',
      attemptsLeft: 2,
    });
    assert.deepEqual((await u.api.post('/v1/kyc/mobile/verify', { otp: mobileOtp })).body, {
      status: 'verified',
      tier: 'min',
    });

    const aadhaar = newAadhaar();
    await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: aadhaar });
    const otp = await b.aadhaarOtp(aadhaar);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await u.api.post('/v1/kyc/aadhaar/verify', { otp: wrongOtp(otp) })).body);
    assert.deepEqual(answers, [
      { status: 'invalid_otp', attemptsLeft: 2 },
      { status: 'invalid_otp', attemptsLeft: 1 },
      { status: 'attempts_exceeded', attemptsLeft: 0 },
    ]);
    const late = await u.api.post('/v1/kyc/aadhaar/verify', { otp });
    assert.equal(late.status, 409, 'the session is closed, even for the right OTP');
    const k = await b.kyc(u.api, u.id);
    assert.equal(k.status, 'rejected');
    assert.equal(k.reason, 'OTP_ATTEMPTS_EXCEEDED');
    assert.equal(k.tier, 'min');

    await b.verifyAadhaar(u.api, aadhaar);
    assert.equal((await b.kyc(u.api, u.id)).status, 'aadhaar_verified');
  });

  test('codes are rate limited per user: the sixth in an hour is 429 with Retry-After', async () => {
    const u = await b.user('retailer');
    const limit = stack.config.auth.otpPerMobilePerHour;
    for (let i = 0; i < limit; i++) assert.equal((await u.api.post('/v1/kyc/mobile/otp')).status, 202);
    const refused = await u.api.post('/v1/kyc/mobile/otp');
    assert.equal(refused.status, 429);
    assert.equal((refused.body.error as Json).code, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const other = await b.user('retailer');
    assert.equal((await other.api.post('/v1/kyc/mobile/otp')).status, 202, 'per user');
  });

  test('the same Aadhaar cannot verify a second user', async () => {
    const first = await b.user('retailer');
    const second = await b.user('retailer');
    await b.verifyMobile(first);
    await b.verifyMobile(second);
    const aadhaar = await b.verifyAadhaar(first.api);
    const r = await second.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: aadhaar });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal((r.body.error as Json).code, 'CONFLICT');
  });

  test('PAN name mismatch is rejected with the reason; a matching PAN then completes KYC', async () => {
    const u = await b.user('retailer');
    kycUsers.push(u.id);
    await b.verifyMobile(u);
    await b.verifyAadhaar(u.api);
    used.pan.add(KYC_TEST_INPUTS.pan.nameMismatch);
    const r = await u.api.post('/v1/kyc/pan', { pan: KYC_TEST_INPUTS.pan.nameMismatch, name: 'Asha Verma' });
    assert.equal(r.status, 202);
    const rejected = await b.kycWhen(u.api, u.id, (k) => k.status !== 'pan_pending');
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.reason, 'NAME_MISMATCH');
    assert.equal(rejected.tier, 'min');
    const ok = await u.api.post('/v1/kyc/pan', { pan: newPan(), name: 'Asha Verma' });
    assert.equal(ok.status, 202);
    assert.equal((await b.kycWhen(u.api, u.id, (k) => k.status === 'verified')).tier, 'full');
  });

  test('a PAN webhook that never comes: the status poll resolves it', async () => {
    const u = await b.user('retailer');
    kycUsers.push(u.id);
    await b.verifyMobile(u);
    await b.verifyAadhaar(u.api);
    used.pan.add(KYC_TEST_INPUTS.pan.webhookNeverSent);
    const r = await u.api.post('/v1/kyc/pan', { pan: KYC_TEST_INPUTS.pan.webhookNeverSent, name: 'Ravi Kumar' });
    assert.equal(r.status, 202);
    const k = await b.kycWhen(u.api, u.id, (s) => s.status === 'verified');
    assert.equal(k.tier, 'full');
    const row = await db('kyc_profiles').where({ user_id: u.id }).first('pan_request_id');
    const sim = (await (await fetch(`${stack.sims.urls.kyc}/pan/${row.pan_request_id as string}`)).json()) as Json;
    assert.deepEqual(sim.webhooks, [], 'no webhook was ever sent');
  });

  test('duplicate webhooks are harmless, forged ones 401, unknown requests 404', async () => {
    const u = await b.user('retailer');
    await b.fullKyc(u);
    const { pan_request_id: requestId } = await db('kyc_profiles').where({ user_id: u.id }).first('pan_request_id');
    const secret = stack.config.kyc.webhookSecret;
    const post = (body: Json, sign = secret) => {
      const raw = JSON.stringify(body);
      return fetch(`${stack.api.url}/v1/webhooks/kyc`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Signature': createHmac('sha256', sign).update(raw).digest('hex'),
        },
        body: raw,
      });
    };
    const verdict = (status: string, reason: string | null, id = requestId as string) => ({
      event: 'pan.verification.completed',
      requestId: id,
      clientRef: 'kyc_x',
      status,
      reason,
      nameOnPan: null,
      maskedPan: 'ABCPE****F',
      at: new Date().toISOString(),
    });
    const before = await b.kyc(u.api, u.id);
    for (let i = 0; i < 2; i++) assert.equal((await post(verdict('VERIFIED', null))).status, 200);
    assert.equal(
      (await post(verdict('REJECTED', 'NAME_MISMATCH'))).status,
      200,
      'a late contrary verdict is acknowledged',
    );
    assert.equal((await post(verdict('REJECTED', 'NAME_MISMATCH'), 'not-the-kyc-webhook-secret')).status, 401);
    const unsigned = await fetch(`${stack.api.url}/v1/webhooks/kyc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(verdict('VERIFIED', null)),
    });
    assert.equal(unsigned.status, 401);
    assert.equal((await post(verdict('VERIFIED', null, 'no-such-request'))).status, 404);
    await new Promise((r) => setTimeout(r, 500));
    const afterwards = await b.kyc(u.api, u.id);
    assert.deepEqual(afterwards, before, 'nothing changed');
  });

  test('caps hold to the paisa: at the cap passes, one paisa over is 422 LIMIT_EXCEEDED and changes nothing', async () => {
    const dist = await b.user('distributor');
    await b.fund(dist.id, dist.api, 5_00_000_00);
    const ret = await b.user('retailer', dist.id);
    const transfer = (amount: number) =>
      dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount });

    // Tier none: the cap of the min tier, ₹10,000.
    assert.equal((await transfer(9_999_99)).status, 201);
    assert.equal((await transfer(1)).status, 201, 'exactly at the cap');
    const over = await transfer(1);
    assert.equal(over.status, 422, JSON.stringify(over.body));
    assert.equal((over.body.error as Json).code, 'LIMIT_EXCEEDED');
    assert.equal(await b.balance(ret.id), 10_000_00);
    assert.equal(await b.balance(dist.id), 5_00_000_00 - 10_000_00);

    // Full KYC raises the cap to ₹2,00,000; a bank top-up approval hits it the same way.
    await b.fullKyc(ret);
    const topup = (amount: number) =>
      ret.api.post('/v1/topups', { method: 'bank_transfer', amount, utr: `UTR${randomInt(1e9, 1e10)}` });
    const t1 = await topup(2_00_000_00 - 10_000_00);
    assert.equal((await b.admin.post(`/v1/topups/${t1.body.id as string}/approve`, {}, false)).status, 200);
    assert.equal(await b.balance(ret.id), 2_00_000_00);
    const t2 = await topup(1);
    const refused = await b.admin.post(`/v1/topups/${t2.body.id as string}/approve`, {}, false);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal((refused.body.error as Json).code, 'LIMIT_EXCEEDED');
    assert.equal((await b.admin.get(`/v1/topups/${t2.body.id as string}`)).body.status, 'pending_approval');
    assert.equal(await b.balance(ret.id), 2_00_000_00);
    assert.equal((await transfer(1)).status, 422);

    const report = await new Ledger(db).verify();
    assert.equal(report.ok, true, JSON.stringify(report.violations));
  });

  test('re-KYC required by admin blocks spending (KYC_REQUIRED) until Aadhaar and PAN are verified again', async () => {
    const dist = await b.user('distributor');
    kycUsers.push(dist.id);
    const ret = await b.user('retailer', dist.id);
    await b.fund(dist.id, dist.api, 50_000_00);
    await b.fullKyc(dist);
    const transfer = () => dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 100 });
    assert.equal((await transfer()).status, 201);

    assert.equal(
      (await ret.api.post(`/v1/kyc/${dist.id}/re-kyc`, { reason: 'risk rule' })).status,
      404,
      'out of scope',
    );
    assert.equal((await dist.api.post(`/v1/kyc/${ret.id}/re-kyc`, { reason: 'risk rule' })).status, 403);
    assert.equal((await b.admin.post(`/v1/kyc/${dist.id}/re-kyc`, {})).status, 400);
    const asked = await b.admin.post(`/v1/kyc/${dist.id}/re-kyc`, { reason: 'velocity rule fired' });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const k = await b.kycWhen(dist.api, dist.id, (s) => s.reKycRequired === true);
    assert.equal(k.status, 're_kyc_required');
    assert.equal(k.tier, 'full', 'the tier (and cap) stay; spending stops');

    const blocked = await transfer();
    assert.equal(blocked.status, 422, JSON.stringify(blocked.body));
    assert.equal((blocked.body.error as Json).code, 'KYC_REQUIRED');
    assert.equal(await b.balance(ret.id), 100);
    await b.admin.post(`/v1/kyc/${ret.id}/re-kyc`, { reason: 'linked account' });
    await b.kycWhen(b.admin, ret.id, (s) => s.reKycRequired === true);
    const pulled = await dist.api.post('/v1/transfers', { fromUserId: ret.id, toUserId: dist.id, amount: 50 });
    assert.equal(pulled.status, 201, 'an upline can still pull money back up from a blocked downline');

    const requested = await db('audit_events').where({ subject_id: dist.id, type: 'kyc.re_kyc_requested' }).first();
    assert.ok(requested);
    assert.equal(typeof requested.actor_id, 'string');
    assert.equal((requested.details as Json).reason, 'velocity rule fired');

    const redone = await b.fullKyc(dist, { mobile: false });
    assert.equal(redone.reKycRequired, false);
    assert.equal((await transfer()).status, 201);
  });

  test('scope: a user sees its own and its downline KYC, others are 404', async () => {
    const dist = await b.user('distributor');
    const ret = await b.user('retailer', dist.id);
    const stranger = await b.user('retailer');
    assert.equal((await dist.api.get(`/v1/kyc/${ret.id}`)).status, 200);
    assert.equal((await ret.api.get(`/v1/kyc/${dist.id}`)).status, 404);
    assert.equal((await stranger.api.get(`/v1/kyc/${ret.id}`)).status, 404);
    assert.equal((await ret.api.get('/v1/kyc/usr_nosuchuser')).status, 404);
  });

  test('provider down: a clear provider_unavailable within seconds; the open circuit answers at once, then recovers', async () => {
    const u = await b.user('retailer');
    await b.verifyMobile(u);
    const started = Date.now();
    used.aadhaar.add(KYC_TEST_INPUTS.aadhaar.providerDown);
    const down = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: KYC_TEST_INPUTS.aadhaar.providerDown });
    assert.ok(Date.now() - started < 15_000, `answered in ${Date.now() - started} ms`);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    const error = down.body.error as Json;
    assert.equal(error.code, 'UNAVAILABLE');
    assert.equal((error.details as Json).status, 'provider_unavailable');

    const fastStart = Date.now();
    const open = await u.api.post('/v1/kyc/aadhaar/otp', { aadhaarNumber: newAadhaar() });
    assert.equal(open.status, 503, 'the circuit is open: even a good request is refused');
    assert.ok(Date.now() - fastStart < 2_000, `the open circuit answered in ${Date.now() - fastStart} ms`);

    await new Promise((r) => setTimeout(r, 2_100));
    await b.verifyAadhaar(u.api);
  });

  test('no Aadhaar or PAN number in plaintext: not in the logs, any text or JSON column, nor the workflow histories', async () => {
    assert.ok(used.aadhaar.size >= 8 && used.pan.size >= 6);
    assert.ok(logLines.length > 100, 'the logs were captured');
    const needles = [...used.aadhaar, ...used.pan];
    const logs = logLines.join('');
    assert.ok(logs.includes('/v1/kyc/aadhaar/otp'), 'the KYC requests were logged');
    for (const n of needles) assert.ok(!logs.includes(n), 'an identifier in the logs');

    const columns = (await db('information_schema.columns')
      .where({ table_schema: 'public' })
      .whereIn('data_type', ['text', 'character varying', 'jsonb', 'json'])
      .select('table_name', 'column_name')) as Array<{ table_name: string; column_name: string }>;
    assert.ok(columns.some((c) => c.table_name === 'kyc_profiles' && c.column_name === 'aadhaar_ciphertext'));
    const hits = async (table: string, column: string, pattern: string) => {
      const [row] = (await db(table).whereRaw('??::text ~ ?', [column, pattern]).count({ n: '*' })) as Array<{
        n: string | number;
      }>;
      return Number(row!.n);
    };
    assert.ok((await hits('users', 'name', 'KYC retailer')) > 0, 'the scan finds what is there');
    const anyNeedle = `(${needles.join('|')})`;
    for (const { table_name: t, column_name: c } of columns) {
      assert.equal(await hits(t, c, anyNeedle), 0, `plaintext identifier in ${t}.${c}`);
    }
    // Stored where it should be: sealed, hashed, last 4.
    const row = await db('kyc_profiles').where({ user_id: kycUsers[0] }).first();
    assert.match(row.aadhaar_ciphertext as string, /^[A-Za-z0-9_-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(row.pan_hash as string, /^[0-9a-f]{64}$/);

    const runs: Array<{ workflowId: string; runId: string }> = [];
    for (const id of kycUsers) {
      for await (const w of temporal.workflow.list({ query: `WorkflowId = 'kyc-${id}'` })) runs.push(w);
    }
    assert.ok(runs.length > kycUsers.length, 'every run, including those that continued as new');
    let sealedSeen = false;
    for (const { workflowId, runId } of runs) {
      const history = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
      const text = textsOf(history).join('\n');
      sealedSeen ||= text.includes('ciphertext');
      for (const n of needles) assert.ok(!text.includes(n), `an identifier in the history of ${workflowId}`);
    }
    assert.ok(sealedSeen, 'the histories hold the identifiers sealed');
  });
});

describe('periodic re-KYC', () => {
  let stack: TestStack;
  let db: Db;
  let b: Bench;

  before(async () => {
    stack = await startStack({
      env: {
        KYC_REKYC_INTERVAL_SECONDS: '3',
        KYC_PAN_POLL_SECONDS: '1',
        STEP_UP_THRESHOLD_PAISE: String(Number.MAX_SAFE_INTEGER),
      },
      simulators: { kyc: { panResultDelayMs: 100 } },
    });
    db = testDb();
    b = await new Bench(stack, db).init();
  });
  after(async () => {
    await stack.stop();
    await db.destroy();
  });

  test('the timer marks the user re_kyc_required at the configured interval, and spending stops', async () => {
    const dist = await b.user('distributor');
    const ret = await b.user('retailer', dist.id);
    await b.fund(dist.id, dist.api, 1_000_00);
    const verified = await b.fullKyc(dist);
    const transfer = () => dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: ret.id, amount: 100 });
    const due = await b.kycWhen(dist.api, dist.id, (k) => k.reKycRequired === true);
    assert.ok(
      Date.parse(due.updatedAt as string) - Date.parse(verified.updatedAt as string) >= 2_900,
      'not before it was due',
    );
    assert.equal(due.status, 're_kyc_required');
    assert.equal(due.reason, 'periodic re-KYC is due');
    const blocked = await transfer();
    assert.equal(blocked.status, 422);
    assert.equal((blocked.body.error as Json).code, 'KYC_REQUIRED');
    const marked = await db('audit_events').where({ subject_id: dist.id, type: 'kyc.re_kyc_required' }).first();
    assert.equal(marked.actor_id, null, 'the system marked it');
  });
});
