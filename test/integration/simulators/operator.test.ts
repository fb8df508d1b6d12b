import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { OPERATOR_TEST_SUBSCRIBERS as SUB } from '../../../dev/simulators/operator/subscribers';
import { DEFAULT_PROVIDER_CREDENTIALS as CREDS } from '../../../dev/simulators/operator/server';
import {
  getJson,
  postJson,
  startWithReceiver,
  validSignature,
  type Json,
  type Received,
  type Receiver,
} from './receiver';

const PENDING_MS = 300;
const REVERSAL_MS = 400;
const TIMEOUT_MS = 1500;

type Status = 'SUCCESS' | 'PENDING' | 'FAILED' | 'REVERSED';
interface Answer {
  http: number;
  status: Status | string;
  txnId: string | null;
  operatorRef: string | null;
  error: string | null;
}

const betaStatus: Record<string, Status> = { '00': 'SUCCESS', '01': 'PENDING', '99': 'FAILED', '04': 'REVERSED' };

/** The two wire formats, read into one shape so every scenario runs against both. */
interface ProviderClient {
  name: 'alpha' | 'beta';
  invalidNumberCode: string;
  operatorFailureCode: string;
  submit(
    clientRef: string,
    subscriber: string,
    opts?: { signal?: AbortSignal; operator?: string; amountPaise?: number },
  ): Promise<Answer>;
  status(clientRef: string): Promise<Answer>;
  balance(): Promise<number>;
  parseCallback(r: Received): { clientRef: string; status: Status; operatorRef: string | null; error: string | null };
}

function alphaClient(base: string): ProviderClient {
  const url = `${base}/providers/alpha`;
  const headers = { 'X-Api-Key': CREDS.alpha.apiKey };
  const read = (http: number, b: Json): Answer => ({
    http,
    status: b.status,
    txnId: b.txnId,
    operatorRef: b.operatorRef,
    error: b.errorCode,
  });
  return {
    name: 'alpha',
    invalidNumberCode: 'INVALID_NUMBER',
    operatorFailureCode: 'OPERATOR_FAILURE',
    async submit(clientRef, subscriber, opts = {}) {
      const res = await fetch(`${url}/recharge`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          clientRef,
          operator: opts.operator ?? 'JIO',
          subscriber,
          amount: opts.amountPaise ?? 19900,
        }),
        signal: opts.signal,
      });
      return res.status === 503
        ? { http: 503, status: await res.text(), txnId: null, operatorRef: null, error: null }
        : read(res.status, await res.json());
    },
    async status(clientRef) {
      const res = await getJson(`${url}/status/${clientRef}`, headers);
      return read(res.status, res.body);
    },
    async balance() {
      return (await getJson(`${url}/balance`, headers)).body.balance as number;
    },
    parseCallback(r) {
      assert.equal(r.contentType, 'application/json');
      const b = JSON.parse(r.body) as Json;
      return { clientRef: b.clientRef, status: b.status, operatorRef: b.operatorRef, error: b.errorCode };
    },
  };
}

function betaClient(base: string): ProviderClient {
  const url = `${base}/providers/beta/api`;
  const auth = { userid: CREDS.beta.userid, token: CREDS.beta.token };
  const read = (http: number, b: Json): Answer => ({
    http,
    status: betaStatus[b.result.code] ?? b.result.code,
    txnId: b.data?.txn_id ?? null,
    operatorRef: b.data?.opr_ref ?? null,
    error: b.result.err,
  });
  return {
    name: 'beta',
    invalidNumberCode: '101',
    operatorFailureCode: '202',
    async submit(clientRef, subscriber, opts = {}) {
      const amt = String((opts.amountPaise ?? 19900) / 100);
      const q = new URLSearchParams({
        ...auth,
        opcode: opts.operator ?? 'RJ',
        number: subscriber,
        amt,
        reqid: clientRef,
      });
      const res = await fetch(`${url}/recharge?${q}`, { signal: opts.signal });
      return res.status === 503
        ? { http: 503, status: await res.text(), txnId: null, operatorRef: null, error: null }
        : read(res.status, await res.json());
    },
    async status(clientRef) {
      const res = await getJson(`${url}/status?${new URLSearchParams({ ...auth, reqid: clientRef })}`);
      return read(res.status, res.body);
    },
    async balance() {
      const b = (await getJson(`${url}/balance?${new URLSearchParams(auth)}`)).body;
      return Math.round(Number(b.data.bal) * 100);
    },
    parseCallback(r) {
      assert.equal(r.contentType, 'application/x-www-form-urlencoded');
      const f = new URLSearchParams(r.body);
      return {
        clientRef: f.get('reqid')!,
        status: betaStatus[f.get('status')!]!,
        operatorRef: f.get('opr_ref') || null,
        error: f.get('err') || null,
      };
    },
  };
}

let seq = 0;
const ref = (tag: string) => `t-${tag}-${Date.now()}-${++seq}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('operator provider simulator', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  let receiver: Receiver;
  let base: string;
  /** Configured here, so the callbacks prove config reaches the simulator: one secret each. */
  const secrets = {
    alpha: 'alpha-callback-secret-of-this-test',
    beta: 'beta-callback-secret-of-this-test',
  };
  /** Signed with this provider's secret, and not with the other's. */
  const signedByItself = (c: ProviderClient, cb: Received) =>
    validSignature(secrets[c.name], cb) && !validSignature(secrets[c.name === 'alpha' ? 'beta' : 'alpha'], cb);
  let clients: ProviderClient[];

  before(async () => {
    env = await startWithReceiver(
      {
        operator: {
          pendingResolveMs: PENDING_MS,
          reversalMs: REVERSAL_MS,
          timeoutResponseMs: TIMEOUT_MS,
          callbackRetryDelaysMs: [100],
        },
      },
      { PROVIDER_ALPHA_CALLBACK_SECRET: secrets.alpha, PROVIDER_BETA_CALLBACK_SECRET: secrets.beta },
    );
    receiver = env.receiver;
    base = env.sims.urls.operator;
    clients = [alphaClient(base), betaClient(base)];
  });
  after(() => env.stop());
  beforeEach(() => {
    receiver.status = 200;
  });

  const callbacksFor = (client: ProviderClient, clientRef: string, count = 1, timeoutMs = 4000) =>
    receiver.waitFor(
      (r) => r.path === `/v1/providers/${client.name}/callback` && client.parseCallback(r).clientRef === clientRef,
      {
        count,
        timeoutMs,
      },
    );
  const callbacksSoFar = (client: ProviderClient, clientRef: string) =>
    receiver.received.filter(
      (r) => r.path === `/v1/providers/${client.name}/callback` && client.parseCallback(r).clientRef === clientRef,
    );
  const control = async (clientRef: string) => (await getJson(`${base}/control/transactions/${clientRef}`)).body;

  for (const name of ['alpha', 'beta'] as const) {
    const client = () => clients.find((c) => c.name === name)!;

    describe(`${name}`, () => {
      test('an ordinary number succeeds at once with an operator reference, no callback', async () => {
        const c = client();
        const r = ref('ok');
        const before = await c.balance();
        const answer = await c.submit(r, '9876543210');
        assert.equal(answer.http, 200);
        assert.equal(answer.status, 'SUCCESS');
        assert.match(answer.operatorRef ?? '', /^[A-Z]{2}\d{10}$/);
        assert.equal(answer.error, null);
        assert.equal(await c.balance(), before - 19900);
        assert.deepEqual(await c.status(r), answer);
        await sleep(100);
        assert.equal(callbacksSoFar(c, r).length, 0);
      });

      test('resubmitting a clientRef never recharges twice and answers the same transaction', async () => {
        const c = client();
        const r = ref('dup');
        const before = await c.balance();
        const first = await c.submit(r, '9812345678');
        const again = await Promise.all([c.submit(r, '9812345678'), c.submit(r, '9812345678')]);
        for (const a of again) assert.deepEqual(a, first);
        assert.equal(await c.balance(), before - 19900);
        assert.deepEqual(await control(r), {
          clientRef: r,
          submissions: 3,
          status: 'SUCCESS',
          provider: name,
          attempts: [{ provider: name, submissions: 3, status: 'SUCCESS', unavailable: 0 }],
        });
      });

      test(`${SUB.invalidNumber}: FAILED with the subscriber-side invalid-number code, no callback`, async () => {
        const c = client();
        const r = ref('inv');
        const before = await c.balance();
        const answer = await c.submit(r, SUB.invalidNumber);
        assert.equal(answer.status, 'FAILED');
        assert.equal(answer.error, c.invalidNumberCode);
        assert.equal(answer.operatorRef, null);
        assert.equal(await c.balance(), before);
        assert.deepEqual(await c.submit(r, SUB.invalidNumber), answer);
        await sleep(100);
        assert.equal(callbacksSoFar(c, r).length, 0);
      });

      test(`${SUB.pendingThenSuccess}: PENDING, then a signed SUCCESS callback`, async () => {
        const c = client();
        const r = ref('p2s');
        const started = Date.now();
        const answer = await c.submit(r, SUB.pendingThenSuccess);
        assert.equal(answer.status, 'PENDING');
        assert.equal(answer.operatorRef, null);
        assert.equal((await c.status(r)).status, 'PENDING');
        const [cb] = await callbacksFor(c, r);
        assert.ok(cb!.at - started >= PENDING_MS - 20, 'callback comes after the configured delay');
        assert.ok(signedByItself(c, cb!), "X-Signature is the HMAC of the raw body with this provider's own secret");
        const parsed = c.parseCallback(cb!);
        assert.equal(parsed.status, 'SUCCESS');
        assert.match(parsed.operatorRef ?? '', /^[A-Z]{2}\d{10}$/);
        const status = await c.status(r);
        assert.equal(status.status, 'SUCCESS');
        assert.equal(status.operatorRef, parsed.operatorRef);
      });

      test(`${SUB.pendingThenFailed}: PENDING, then a signed FAILED callback; the provider balance is restored`, async () => {
        const c = client();
        const r = ref('p2f');
        const before = await c.balance();
        assert.equal((await c.submit(r, SUB.pendingThenFailed)).status, 'PENDING');
        assert.equal(await c.balance(), before - 19900);
        const [cb] = await callbacksFor(c, r);
        assert.ok(signedByItself(c, cb!));
        const parsed = c.parseCallback(cb!);
        assert.equal(parsed.status, 'FAILED');
        assert.equal(parsed.error, c.operatorFailureCode);
        assert.equal((await c.status(r)).status, 'FAILED');
        assert.equal(await c.balance(), before);
      });

      test(`${SUB.firstSubmissionTimesOut}: the first submission goes unanswered; status says SUCCESS; a resubmission answers at once`, async () => {
        const c = client();
        const r = ref('tmo');
        await assert.rejects(c.submit(r, SUB.firstSubmissionTimesOut, { signal: AbortSignal.timeout(300) }), {
          name: 'TimeoutError',
        });
        const status = await c.status(r);
        assert.equal(status.status, 'SUCCESS');
        assert.ok(status.operatorRef);
        const started = Date.now();
        const again = await c.submit(r, SUB.firstSubmissionTimesOut);
        assert.ok(Date.now() - started < 500);
        assert.equal(again.status, 'SUCCESS');
        assert.equal(again.txnId, status.txnId);
        assert.equal((await control(r)).submissions, 2);
      });

      test(`${SUB.firstSubmissionTimesOut}: a patient client gets SUCCESS after the configured delay`, async () => {
        const c = client();
        const started = Date.now();
        const answer = await c.submit(ref('tmo-wait'), SUB.firstSubmissionTimesOut);
        assert.ok(Date.now() - started >= TIMEOUT_MS - 20);
        assert.equal(answer.status, 'SUCCESS');
      });

      test(`${SUB.successThenReversal}: SUCCESS, then a signed REVERSED callback; status shows REVERSED`, async () => {
        const c = client();
        const r = ref('rev');
        const before = await c.balance();
        const answer = await c.submit(r, SUB.successThenReversal);
        assert.equal(answer.status, 'SUCCESS');
        const [cb] = await callbacksFor(c, r);
        assert.ok(signedByItself(c, cb!));
        const parsed = c.parseCallback(cb!);
        assert.equal(parsed.status, 'REVERSED');
        assert.equal(parsed.operatorRef, answer.operatorRef);
        assert.equal((await c.status(r)).status, 'REVERSED');
        assert.equal(await c.balance(), before);
      });

      test(`${SUB.pendingForever}: PENDING with no callback, ever`, async () => {
        const c = client();
        const r = ref('pf');
        assert.equal((await c.submit(r, SUB.pendingForever)).status, 'PENDING');
        await sleep(PENDING_MS + REVERSAL_MS + 100);
        assert.equal(callbacksSoFar(c, r).length, 0);
        assert.equal((await c.status(r)).status, 'PENDING');
      });

      test('status of an unknown clientRef says not found', async () => {
        const c = client();
        const answer = await c.status(ref('none'));
        if (name === 'alpha')
          assert.deepEqual([answer.http, answer.status, answer.error], [404, 'NOT_FOUND', 'TXN_NOT_FOUND']);
        else assert.deepEqual([answer.http, answer.status, answer.error], [200, 'FAILED', '105']);
      });

      test('an unknown operator code is a provider-side failure; a bad amount is a request failure', async () => {
        const c = client();
        const op = await c.submit(ref('op'), '9876543210', { operator: 'NOPE' });
        assert.equal(op.status, 'FAILED');
        assert.equal(op.error, name === 'alpha' ? 'OPERATOR_NOT_SUPPORTED' : '201');
        const amt = await c.submit(ref('amt'), '9876543210', { amountPaise: 19950 });
        assert.equal(amt.status, 'FAILED');
        assert.equal(amt.error, name === 'alpha' ? 'INVALID_AMOUNT' : '102');
        const num = await c.submit(ref('num'), '12345');
        assert.equal(num.error, c.invalidNumberCode);
      });

      test('the outage control answers 503 on every provider API until it is lifted', async () => {
        const c = client();
        const r = ref('down');
        assert.deepEqual((await postJson(`${base}/control/providers/${name}`, { down: true })).body, {
          provider: name,
          down: true,
          balance: await getJson(`${base}/control/providers`).then(
            (x) => x.body.providers.find((p: Json) => p.name === name).balance,
          ),
        });
        try {
          const answer = await c.submit(r, '9876543210');
          assert.deepEqual([answer.http, answer.status], [503, 'Service Unavailable']);
          await assert.rejects(c.status(r));
          if (name === 'beta') await assert.rejects(c.balance());
          assert.deepEqual((await control(r)).attempts, [
            { provider: name, submissions: 0, status: null, unavailable: 1 },
          ]);
        } finally {
          await postJson(`${base}/control/providers/${name}`, { down: false });
        }
        assert.equal((await c.submit(r, '9876543210')).status, 'SUCCESS');
      });

      test('a provider short of balance fails the recharge provider-side', async () => {
        const c = client();
        const saved = await c.balance();
        assert.deepEqual((await getJson(`${base}/providers/${name}/balance`)).body, {
          provider: name,
          balance: saved,
          currency: 'INR',
        });
        await postJson(`${base}/control/providers/${name}`, { balance: 100 });
        try {
          const answer = await c.submit(ref('low'), '9876543210');
          assert.equal(answer.status, 'FAILED');
          assert.equal(answer.error, name === 'alpha' ? 'LOW_BALANCE' : '203');
        } finally {
          await postJson(`${base}/control/providers/${name}`, { balance: saved });
        }
      });
    });
  }

  test(`${SUB.primaryProviderDown}: alpha answers 503, beta serves it; the control API shows both attempts`, async () => {
    const [alpha, beta] = clients as [ProviderClient, ProviderClient];
    const r = ref('prim');
    const first = await alpha.submit(r, SUB.primaryProviderDown);
    assert.deepEqual([first.http, first.status], [503, 'Service Unavailable']);
    assert.equal((await alpha.status(r)).http, 404);
    const second = await beta.submit(r, SUB.primaryProviderDown);
    assert.equal(second.status, 'SUCCESS');
    assert.deepEqual(await control(r), {
      clientRef: r,
      submissions: 1,
      status: 'SUCCESS',
      provider: 'beta',
      attempts: [
        { provider: 'alpha', submissions: 0, status: null, unavailable: 1 },
        { provider: 'beta', submissions: 1, status: 'SUCCESS', unavailable: 0 },
      ],
    });
  });

  test('a callback not answered 2xx is redelivered, and the inspect API shows every attempt', async () => {
    const [alpha] = clients as [ProviderClient];
    const r = ref('redeliver');
    receiver.status = 500;
    await alpha.submit(r, SUB.pendingThenSuccess);
    const cbs = await callbacksFor(alpha, r, 2);
    assert.equal(cbs[0]!.body, cbs[1]!.body);
    await sleep(100);
    const txn = (await getJson(`${base}/providers/alpha/transactions/${r}`)).body;
    assert.equal(txn.status, 'SUCCESS');
    assert.deepEqual(
      txn.callbacks.map((d: Json) => [d.status, d.delivered, d.httpStatus]),
      [
        ['SUCCESS', false, 500],
        ['SUCCESS', false, 500],
      ],
    );
    assert.deepEqual(
      txn.history.map((h: Json) => h.status),
      ['PENDING', 'SUCCESS'],
    );
  });

  test('credentials are checked: alpha answers 401, beta a 301 failure, and nothing is recorded', async () => {
    const r = ref('auth');
    const a = await postJson(
      `${base}/providers/alpha/recharge`,
      { clientRef: r, operator: 'JIO', subscriber: '9876543210', amount: 19900 },
      { 'X-Api-Key': 'wrong' },
    );
    assert.equal(a.status, 401);
    assert.equal(a.body.errorCode, 'AUTH_FAILED');
    const q = new URLSearchParams({
      userid: CREDS.beta.userid,
      token: 'wrong',
      opcode: 'RJ',
      number: '9876543210',
      amt: '199',
      reqid: r,
    });
    const b = await getJson(`${base}/providers/beta/api/recharge?${q}`);
    assert.deepEqual(b.body.result, { code: '99', err: '301', text: 'Authentication Failed' });
    assert.equal((await getJson(`${base}/control/transactions/${r}`)).status, 404);
  });

  test('alpha rejects a malformed body with 400; beta names the missing parameter', async () => {
    const a = await postJson(
      `${base}/providers/alpha/recharge`,
      { clientRef: 'x' },
      { 'X-Api-Key': CREDS.alpha.apiKey },
    );
    assert.equal(a.status, 400);
    assert.equal(a.body.errorCode, 'BAD_REQUEST');
    const b = await getJson(`${base}/providers/beta/api/recharge?${new URLSearchParams(CREDS.beta)}`);
    assert.equal(b.body.result.err, '302');
    assert.match(b.body.result.text, /opcode/);
  });

  test('beta takes a form POST, its own DTH codes and rupee amounts with paise', async () => {
    const r = ref('dth');
    const res = await fetch(`${base}/providers/beta/api/recharge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...CREDS.beta,
        opcode: 'TS',
        number: '1234567890',
        amt: '350.00',
        reqid: r,
      }).toString(),
    });
    const body = (await res.json()) as Json;
    assert.equal(body.result.code, '00');
    assert.equal(body.data.amt, '350.00');
    const txn = (await getJson(`${base}/providers/beta/transactions/${r}`)).body;
    assert.equal(txn.amount, 35000);
    assert.equal(txn.operatorCode, 'TS');
  });
});

describe('operator provider latency', () => {
  let env: Awaited<ReturnType<typeof startWithReceiver>>;
  before(async () => {
    env = await startWithReceiver({ operator: { latencyMs: 250 } });
  });
  after(() => env.stop());

  test('every provider API answer waits the configured latency; the control API does not', async () => {
    const alpha = alphaClient(env.sims.urls.operator);
    let started = Date.now();
    assert.equal((await alpha.submit(ref('lat'), '9876543210')).status, 'SUCCESS');
    assert.ok(Date.now() - started >= 240);
    started = Date.now();
    await getJson(`${env.sims.urls.operator}/control/providers`);
    assert.ok(Date.now() - started < 200);
  });
});
