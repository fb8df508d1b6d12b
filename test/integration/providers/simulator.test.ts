import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { parseDefinition } from '../../../src/providers/recharge/definition';
import { HttpRechargeProvider, MASK } from '../../../src/providers/recharge/http-provider';
import { ExchangeStore } from '../../../src/providers/recharge/exchanges';
import { ProviderRegistry, providerEnvironment } from '../../../src/providers/recharge/registry';
import { breakerOutcome } from '../../../src/providers/recharge/routing';
import { CallbackRejected, type ProviderResult, type RechargeProvider } from '../../../src/providers/recharge/types';
import { listen, type Listening } from '../../../dev/simulators/http';
import { createOperatorSimulator, type OperatorSimulator } from '../../../dev/simulators/operator/server';
import { OPERATOR_TEST_SUBSCRIBERS as SUB } from '../../../dev/simulators/operator/subscribers';
import { testDb, uniq } from '../../support/db';
import { Receiver, type Received } from '../simulators/receiver';

const TIMEOUT_RESPONSE_MS = 1500;
const ADAPTER_TIMEOUT_MS = 300;

const db = testDb();
const receiver = new Receiver();
let sim: OperatorSimulator;
let server: Listening;
let config: ReturnType<typeof loadConfig>;
let registry: ProviderRegistry;
const exchanges = new ExchangeStore(db);

const wire = {
  alpha: { invalidNumber: 'INVALID_NUMBER', operatorFailure: 'OPERATOR_FAILURE' },
  beta: { invalidNumber: '101', operatorFailure: '202' },
} as const;
type Name = keyof typeof wire;

before(async () => {
  await receiver.start();
  sim = createOperatorSimulator({
    apiBaseUrl: receiver.url,
    log: createLogger('silent'),
    pendingResolveMs: 300,
    reversalMs: 300,
    timeoutResponseMs: TIMEOUT_RESPONSE_MS,
    callbackRetryDelaysMs: [200],
  });
  server = await listen(sim.app, '127.0.0.1', 0);
  config = loadConfig({ ...process.env, NODE_ENV: 'test', OPERATOR_PROVIDERS_URL: `${server.url}/providers` });
  registry = new ProviderRegistry(db, providerEnvironment(config.providers));
});

after(async () => {
  sim.close();
  await server.close();
  await receiver.stop();
  await db.destroy();
});

async function provider(name: Name): Promise<RechargeProvider> {
  const p = await registry.get(name);
  assert.ok(p, `${name} is built from its seeded definition`);
  return p;
}

/** The seeded definition with a short timeout, for the scripted slow answer. */
async function impatient(name: Name): Promise<RechargeProvider> {
  const row = (await db('recharge_providers').where({ name }).first()) as { definition: unknown };
  const def = parseDefinition(name, row.definition);
  return new HttpRechargeProvider(
    name,
    { ...def, timeoutMs: ADAPTER_TIMEOUT_MS },
    providerEnvironment(config.providers),
  );
}

function submit(p: RechargeProvider, clientRef: string, subscriber: string, operator = 'JIO') {
  return p.submit({ clientRef, operator, subscriber, amount: 19900n });
}

async function callbackFor(name: Name, clientRef: string, count = 1): Promise<Received[]> {
  return receiver.waitFor((r) => r.path === `/v1/providers/${name}/callback` && r.body.includes(clientRef), {
    count,
    timeoutMs: 5000,
  });
}

/** The variable each seeded definition verifies its callbacks with. */
const callbackSecretEnv = { alpha: 'PROVIDER_ALPHA_CALLBACK_SECRET', beta: 'PROVIDER_BETA_CALLBACK_SECRET' } as const;

const hmacHex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

function feed(p: RechargeProvider, r: Received, tamper: Partial<{ signature: string; body: string }> = {}) {
  return p.parseCallback({
    headers: { 'content-type': r.contentType, 'x-signature': tamper.signature ?? r.signature },
    rawBody: Buffer.from(tamper.body ?? r.body),
    url: r.path,
  });
}

async function engineRecord(name: Name, clientRef: string) {
  const res = await fetch(`${server.url}/providers/${name}/transactions/${clientRef}`);
  return (await res.json()) as { submissions: number; operatorCode: string; amount: number; status: string };
}

function operatorRefOf(r: ProviderResult): string | null {
  return r.status === 'success' || r.status === 'reversed' ? r.operatorRef : null;
}

describe('seeded providers against the operator simulator', () => {
  for (const name of ['alpha', 'beta'] as const) {
    describe(name, () => {
      test('an ordinary number succeeds with the operator reference the provider returned', async () => {
        const ref = uniq('rc');
        const call = await submit(await provider(name), ref, '9876543210');
        assert.equal(call.result.status, 'success');
        const record = await engineRecord(name, ref);
        assert.equal(record.status, 'SUCCESS');
        assert.equal(record.amount, 19900, 'the amount arrived as ₹199 in the provider unit');
        assert.match(operatorRefOf(call.result) ?? '', /^[A-Z0-9]{2}\d{10}$/);
        assert.ok(call.result.status === 'success' && call.result.providerTxnId);
      });

      test('every operator of ours is mapped, DTH included', async () => {
        const p = await provider(name);
        for (const op of ['JIO', 'AIRTEL', 'VI', 'BSNL', 'TATAPLAY', 'AIRTELDTH', 'DISHTV', 'D2H', 'SUNDIRECT']) {
          assert.ok(p.supports(op), op);
        }
        const ref = uniq('rc');
        const call = await submit(p, ref, '1234567890', 'TATAPLAY');
        assert.equal(call.result.status, 'success');
        assert.equal((await engineRecord(name, ref)).operatorCode, name === 'alpha' ? 'TATAPLAY' : 'TS');
      });

      test('9000000001: failed, the subscriber is at fault (no failover)', async () => {
        const call = await submit(await provider(name), uniq('rc'), SUB.invalidNumber);
        assert.equal(call.result.status, 'failed');
        assert.ok(call.result.status === 'failed');
        assert.equal(call.result.fault, 'subscriber');
        assert.equal(call.result.code, wire[name].invalidNumber);
        assert.equal(breakerOutcome(call.result), 'ok', "a subscriber's fault says nothing against the provider");
      });

      test('9000000002: pending, then a signed callback parsed to success; status agrees', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        assert.equal((await submit(p, ref, SUB.pendingThenSuccess)).result.status, 'pending');
        const [cb] = await callbackFor(name, ref);
        const parsed = feed(p, cb!);
        assert.equal(parsed.clientRef, ref);
        assert.equal(parsed.result.status, 'success');
        const operatorRef = operatorRefOf(parsed.result);
        assert.ok(operatorRef);
        assert.equal(parsed.exchange.operation, 'callback');
        assert.equal(parsed.exchange.request.body, cb!.body);
        const status = await p.status(ref);
        assert.equal(status.result.status, 'success');
        assert.equal(operatorRefOf(status.result), operatorRef);
      });

      test('9000000003: pending, then a callback parsed to failed (provider side)', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        assert.equal((await submit(p, ref, SUB.pendingThenFailed)).result.status, 'pending');
        const [cb] = await callbackFor(name, ref);
        const { result } = feed(p, cb!);
        assert.ok(result.status === 'failed');
        assert.equal(result.fault, 'provider');
        assert.equal(result.code, wire[name].operatorFailure);
      });

      test('9000000004: the submission times out → unknown; status → success; a resubmission is recognised', async () => {
        const p = await impatient(name);
        const ref = uniq('rc');
        const started = Date.now();
        const first = await submit(p, ref, SUB.firstSubmissionTimesOut);
        assert.deepEqual(first.result, { status: 'unknown', reason: `no answer within ${ADAPTER_TIMEOUT_MS} ms` });
        assert.ok(Date.now() - started < TIMEOUT_RESPONSE_MS);
        assert.equal(breakerOutcome(first.result), 'failure');

        const status = await p.status(ref);
        assert.equal(status.result.status, 'success');
        const again = await submit(p, ref, SUB.firstSubmissionTimesOut);
        assert.equal(again.result.status, 'success');
        assert.equal(operatorRefOf(again.result), operatorRefOf(status.result));
        assert.equal((await engineRecord(name, ref)).submissions, 2, 'one transaction at the provider');
      });

      test('9000000005: success, then a reversed callback', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        const call = await submit(p, ref, SUB.successThenReversal);
        assert.equal(call.result.status, 'success');
        const [cb] = await callbackFor(name, ref);
        const { clientRef, result } = feed(p, cb!);
        assert.equal(clientRef, ref);
        assert.equal(result.status, 'reversed');
        assert.equal(operatorRefOf(result), operatorRefOf(call.result));
        assert.equal((await p.status(ref)).result.status, 'reversed');
      });

      test('9000000007: pending, and a status check still says pending', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        assert.equal((await submit(p, ref, SUB.pendingForever)).result.status, 'pending');
        assert.equal((await p.status(ref)).result.status, 'pending');
      });

      test('wrong credentials: a submission fails (provider side), a status check is unknown, not failed', async () => {
        const row = (await db('recharge_providers').where({ name }).first()) as { definition: unknown };
        const env = providerEnvironment(config.providers);
        const wrong = Object.fromEntries(Object.keys(env.secrets).map((k) => [k, 'wrong-credential']));
        const p = new HttpRechargeProvider(name, parseDefinition(name, row.definition), { ...env, secrets: wrong });
        const ref = uniq('rc');
        await submit(await provider(name), ref, '9876543210');
        const refused = await submit(p, uniq('rc'), '9876543210');
        assert.ok(refused.result.status === 'failed');
        assert.equal(refused.result.fault, 'provider');
        assert.equal(refused.result.code, name === 'alpha' ? 'AUTH_FAILED' : '301');
        assert.equal((await p.status(ref)).result.status, 'unknown');
      });

      test('a status check for a clientRef it never received → not_found', async () => {
        const call = await (await provider(name)).status(uniq('never'));
        assert.deepEqual(call.result, { status: 'not_found' });
      });

      test('forged callbacks are rejected: wrong signature, changed body, another provider format', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        await submit(p, ref, SUB.pendingThenSuccess);
        const [cb] = await callbackFor(name, ref);
        assert.throws(() => feed(p, cb!, { signature: '0'.repeat(64) }), CallbackRejected);
        assert.throws(() => feed(p, cb!, { body: cb!.body.replace(ref, uniq('rc')) }), /bad signature/);
        const other = await provider(name === 'alpha' ? 'beta' : 'alpha');
        assert.throws(() => feed(other, cb!), CallbackRejected);
      });

      test("a callback signed with the other provider's secret is rejected: no secret is shared", async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        await submit(p, ref, SUB.pendingThenSuccess);
        const [cb] = await callbackFor(name, ref);
        const own = config.providers.credentials[callbackSecretEnv[name]]!;
        const others = config.providers.credentials[callbackSecretEnv[name === 'alpha' ? 'beta' : 'alpha']]!;
        assert.notEqual(own, others);
        assert.equal(cb!.signature, hmacHex(own, cb!.body), "the simulator signs with this provider's own secret");
        assert.equal(feed(p, cb!, { signature: hmacHex(own, cb!.body) }).clientRef, ref);
        assert.throws(() => feed(p, cb!, { signature: hmacHex(others, cb!.body) }), /bad signature/);
      });

      test('exchanges keep credentials masked and are linked to the recharge', async () => {
        const p = await provider(name);
        const ref = uniq('rc');
        const call = await submit(p, ref, SUB.pendingForever);
        const check = await p.status(ref);
        await exchanges.record(ref, call.exchange);
        await exchanges.record(ref, check.exchange);

        const kept = await exchanges.list(ref);
        assert.deepEqual(
          kept.map((e) => [e.rechargeId, e.provider, e.operation]),
          [
            [ref, name, 'submit'],
            [ref, name, 'status'],
          ],
        );
        const text = JSON.stringify(kept, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
        for (const [variable, secret] of Object.entries(config.providers.credentials)) {
          assert.ok(!text.includes(secret), `${variable} leaked`);
        }
        if (name === 'alpha') {
          assert.equal(kept[0]!.request.headers['X-Api-Key'], MASK);
        } else {
          const form = new URLSearchParams(kept[0]!.request.body!);
          assert.equal(form.get('userid'), MASK);
          assert.equal(form.get('token'), MASK);
          assert.equal(form.get('amt'), '199.00');
          assert.equal(form.get('opcode'), 'RJ');
        }
        assert.equal(kept[0]!.response?.status, 200);
        assert.match(kept[0]!.response?.body ?? '', new RegExp(ref));
        assert.equal((await exchanges.lastSubmission(ref, name))?.id, kept[0]!.id);
        assert.equal(await exchanges.lastSubmission(ref, name === 'alpha' ? 'beta' : 'alpha'), undefined);
      });
    });
  }

  test('9000000006: alpha is unavailable, beta succeeds', async () => {
    const ref = uniq('rc');
    const down = await submit(await provider('alpha'), ref, SUB.primaryProviderDown);
    assert.deepEqual(down.result, { status: 'unavailable', reason: 'HTTP 503' });
    assert.equal(down.exchange.response?.status, 503);
    assert.equal(breakerOutcome(down.result), 'failure');
    const served = await submit(await provider('beta'), ref, SUB.primaryProviderDown);
    assert.equal(served.result.status, 'success');
  });

  test('a provider marked down answers 503 to submissions and status checks alike', async () => {
    const ref = uniq('rc');
    const alpha = await provider('alpha');
    await submit(alpha, ref, '9876543210');
    await fetch(`${server.url}/control/providers/alpha`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ down: true }),
    });
    try {
      assert.equal((await submit(alpha, uniq('rc'), '9876543210')).result.status, 'unavailable');
      assert.equal((await alpha.status(ref)).result.status, 'unavailable');
    } finally {
      await fetch(`${server.url}/control/providers/alpha`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ down: false }),
      });
    }
  });
});
