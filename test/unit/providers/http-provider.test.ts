import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  parseDefinition,
  ProviderConfigError,
  type ProviderDefinitionInput,
  type ProviderEnvironment,
} from '../../../src/providers/recharge/definition';
import { HttpRechargeProvider, MASK } from '../../../src/providers/recharge/http-provider';
import { CallbackRejected, type ProviderCall } from '../../../src/providers/recharge/types';
import { jsonDefinition } from './fixtures';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: Seen, res: http.ServerResponse) => void;

/** A stand-in provider on 127.0.0.1: records each request and answers with the current handler. */
class FakeProvider {
  seen: Seen[] = [];
  handler: Handler = (_req, res) => res.end();
  url = '';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      this.seen.push(seen);
      this.handler(seen, res);
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  json(status: number, body: unknown): void {
    this.handler = (_req, res) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  raw(status: number, body: string, contentType = 'text/plain'): void {
    this.handler = (_req, res) => res.writeHead(status, { 'Content-Type': contentType }).end(body);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

const SECRETS = {
  PROVIDER_T_KEY: 'key-5ecret-abc',
  PROVIDER_T_TOKEN: 'tok-5ecret-xyz',
  PROVIDER_T_CALLBACK: 'callback-secret-0123456789',
};

const fake = new FakeProvider();
let env: ProviderEnvironment;

function provider(overrides: Partial<ProviderDefinitionInput> = {}): HttpRechargeProvider {
  return new HttpRechargeProvider('t', parseDefinition('t', jsonDefinition(overrides)), env);
}

const request = { clientRef: 'R-1', operator: 'JIO', subscriber: '9876543210', amount: 19900n, circle: 'MH' };

function assertNoSecrets(call: ProviderCall): void {
  const kept = JSON.stringify(call.exchange);
  for (const secret of Object.values(SECRETS)) assert.ok(!kept.includes(secret), `exchange leaks ${secret}`);
}

before(async () => {
  await fake.start();
  env = { placeholders: { testBase: fake.url }, secrets: SECRETS };
});
after(() => fake.stop());
beforeEach(() => {
  fake.seen = [];
});

describe('HttpRechargeProvider: requests', () => {
  test('submit maps our fields, operator code and amount, sends credentials, and keeps them masked', async () => {
    fake.json(200, { status: 'SUCCESS', data: { txn: 'TX1', opref: 'OP123' }, msg: 'done' });
    const call = await provider().submit(request);

    assert.deepEqual(call.result, { status: 'success', operatorRef: 'OP123', providerTxnId: 'TX1', message: 'done' });
    const [sent] = fake.seen;
    assert.equal(sent!.method, 'POST');
    assert.equal(sent!.url, '/p/recharge');
    assert.equal(sent!.headers['x-api-key'], SECRETS.PROVIDER_T_KEY);
    assert.equal(sent!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(sent!.body), {
      ref: 'R-1',
      op: 'J1',
      number: '9876543210',
      amount: 19900,
      circle: 'MH',
      token: SECRETS.PROVIDER_T_TOKEN,
    });

    const ex = call.exchange;
    assert.equal(ex.provider, 't');
    assert.equal(ex.operation, 'submit');
    assert.equal(ex.request.url, `${fake.url}/p/recharge`);
    assert.equal(ex.request.headers['X-Api-Key'], MASK);
    assert.equal(JSON.parse(ex.request.body!).token, MASK);
    assert.deepEqual(ex.response, {
      status: 200,
      body: JSON.stringify({ status: 'SUCCESS', data: { txn: 'TX1', opref: 'OP123' }, msg: 'done' }),
    });
    assert.equal(ex.error, null);
    assert.ok(ex.durationMs >= 0 && ex.at instanceof Date);
    assertNoSecrets(call);
  });

  test('form and query encodings, rupee amounts, constants; credentials masked in the kept URL and body', async () => {
    fake.json(200, { status: 'PENDING', data: { txn: 'TX2' } });
    const p = provider({
      amount: { unit: 'rupees', format: 'decimal' },
      submit: {
        method: 'POST',
        path: '/api/recharge',
        encoding: 'form',
        constants: { format: 'json' },
        fields: { clientRef: 'reqid', operator: 'opcode', subscriber: 'number', amount: 'amt' },
      },
      status: { method: 'GET', path: '/api/status', encoding: 'query', fields: { clientRef: 'reqid' } },
    });
    const submitted = await p.submit({ ...request, amount: 19950n });
    assert.deepEqual(submitted.result, { status: 'pending', providerTxnId: 'TX2', message: null });
    assert.equal(fake.seen[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(fake.seen[0]!.body)), {
      format: 'json',
      reqid: 'R-1',
      opcode: 'J1',
      number: '9876543210',
      amt: '199.50',
      token: SECRETS.PROVIDER_T_TOKEN,
    });
    assert.equal(new URLSearchParams(submitted.exchange.request.body!).get('token'), MASK);
    assertNoSecrets(submitted);

    const checked = await p.status('R/1 x');
    const sent = new URL(fake.seen[1]!.url, fake.url);
    assert.equal(fake.seen[1]!.method, 'GET');
    assert.equal(sent.pathname, '/p/api/status');
    assert.equal(sent.searchParams.get('reqid'), 'R/1 x');
    assert.equal(sent.searchParams.get('token'), SECRETS.PROVIDER_T_TOKEN);
    assert.equal(fake.seen[1]!.body, '');
    assert.equal(new URL(checked.exchange.request.url).searchParams.get('token'), MASK);
    assert.equal(checked.exchange.request.body, null);
    assertNoSecrets(checked);
  });

  test('the clientRef is escaped into a status path', async () => {
    fake.json(200, { status: 'SUCCESS', data: { opref: 'OP9' } });
    const call = await provider().status('a/b?c');
    assert.equal(fake.seen[0]!.url, `/p/status/a%2Fb%3Fc?token=${SECRETS.PROVIDER_T_TOKEN}`);
    assert.equal(call.result.status, 'success');
  });

  test('an operator it does not map, or an amount it cannot express, is never sent', async () => {
    const p = provider({ amount: { unit: 'rupees', format: 'integer' } });
    assert.equal(p.supports('JIO'), true);
    assert.equal(p.supports('BSNL'), false);
    assert.equal(p.supports('toString'), false);

    const unmapped = await p.submit({ ...request, operator: 'BSNL' });
    assert.equal(unmapped.result.status, 'failed');
    assert.equal(unmapped.result.status === 'failed' && unmapped.result.fault, 'provider');
    assert.equal(unmapped.result.status === 'failed' && unmapped.result.code, 'OPERATOR_NOT_SUPPORTED');
    assert.match(unmapped.exchange.error ?? '', /not sent/);

    const odd = await p.submit({ ...request, amount: 19950n });
    assert.equal(odd.result.status === 'failed' && odd.result.code, 'AMOUNT_NOT_SUPPORTED');
    assert.equal(fake.seen.length, 0);
  });

  test('a provider echoing a credential back does not get it into the kept response', async () => {
    fake.json(200, { status: 'FAILED', error: 'AUTH', msg: `bad token ${SECRETS.PROVIDER_T_TOKEN}` });
    const call = await provider().submit(request);
    assert.match(call.exchange.response!.body, /bad token \*\*\*\*/);
    assertNoSecrets(call);
  });
});

describe('HttpRechargeProvider: classifying answers', () => {
  const cases: Array<{ name: string; answer: () => void; op?: 'status'; expect: Record<string, unknown> }> = [
    {
      name: 'HTTP 503 → unavailable',
      answer: () => fake.raw(503, 'Service Unavailable'),
      expect: { status: 'unavailable', reason: 'HTTP 503' },
    },
    {
      name: 'HTTP 500, even with a status in the body → unknown',
      answer: () => fake.json(500, { status: 'FAILED' }),
      expect: { status: 'unknown', reason: 'HTTP 500' },
    },
    {
      name: 'garbage → unknown',
      answer: () => fake.raw(200, '<html>oops'),
      expect: { status: 'unknown', reason: 'unparseable answer (HTTP 200)' },
    },
    {
      name: 'a status the definition does not list → unknown',
      answer: () => fake.json(200, { status: 'ON_HOLD' }),
      expect: { status: 'unknown', reason: 'unrecognised status "ON_HOLD" (HTTP 200)' },
    },
    {
      name: 'a redirect → unknown',
      answer: () => {
        fake.handler = (_req, res) => res.writeHead(302, { Location: '/elsewhere' }).end();
      },
      expect: { status: 'unknown', reason: 'HTTP 302 redirect' },
    },
    {
      name: 'a subscriber-side error code → failed, subscriber fault',
      answer: () =>
        fake.json(200, { status: 'FAILED', error: 'INVALID_NUMBER', msg: 'bad number', data: { txn: 'T' } }),
      expect: {
        status: 'failed',
        fault: 'subscriber',
        code: 'INVALID_NUMBER',
        message: 'bad number',
        providerTxnId: 'T',
      },
    },
    {
      name: 'any other error code → failed, provider fault',
      answer: () => fake.json(200, { status: 'FAILED', error: 'LOW_BALANCE', msg: 'low' }),
      expect: { status: 'failed', fault: 'provider', code: 'LOW_BALANCE', message: 'low', providerTxnId: null },
    },
    {
      name: 'a 4xx with a decline in the body → failed, provider fault',
      answer: () => fake.json(401, { status: 'FAILED', error: 'AUTH_FAILED' }),
      expect: { status: 'failed', fault: 'provider', code: 'AUTH_FAILED', message: '', providerTxnId: null },
    },
    {
      name: 'a decline without an error code carries the status as its code',
      answer: () => fake.json(200, { status: 'FAILED' }),
      expect: { status: 'failed', fault: 'provider', code: 'FAILED', message: '', providerTxnId: null },
    },
    {
      name: 'reversed',
      answer: () => fake.json(200, { status: 'REVERSED', data: { txn: 'T', opref: 'OP1' } }),
      expect: { status: 'reversed', operatorRef: 'OP1', providerTxnId: 'T', message: null },
    },
    {
      name: 'success with an empty operator reference keeps none (never invents one)',
      answer: () => fake.json(200, { status: 'SUCCESS', data: { opref: '  ' } }),
      expect: { status: 'success', operatorRef: null, providerTxnId: null, message: null },
    },
    {
      name: 'a status check the provider answers with its not-found code → not_found',
      op: 'status',
      answer: () => fake.json(404, { status: 'FAILED', error: 'NO_TXN' }),
      expect: { status: 'not_found' },
    },
    {
      name: 'a bare 404 page is not taken for not_found unless the definition says so',
      op: 'status',
      answer: () => fake.raw(404, 'Not Found'),
      expect: { status: 'unknown', reason: 'unparseable answer (HTTP 404)' },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      c.answer();
      const p = provider();
      const call = c.op === 'status' ? await p.status('R-1') : await p.submit(request);
      assert.deepEqual(call.result, c.expect);
      assert.equal(call.exchange.response?.status !== undefined, true, 'the raw answer is kept');
    });
  }

  test('a refused status check says nothing about the recharge; a refused submission failed (provider side)', async () => {
    fake.json(200, { status: 'FAILED', error: 'AUTH', msg: 'bad credentials' });
    assert.deepEqual((await provider().status('R-1')).result, {
      status: 'unknown',
      reason: 'status check refused (AUTH)',
    });
    assert.equal((await provider().submit(request)).result.status, 'failed');
    fake.json(400, { status: 'FAILED', error: 'WHATEVER' });
    assert.deepEqual((await provider().status('R-1')).result, {
      status: 'unknown',
      reason: 'status check refused (HTTP 400)',
    });
  });

  test('a submission refused as a duplicate clientRef → unknown (its status decides)', async () => {
    fake.json(200, { status: 'FAILED', error: 'DUP_REF' });
    assert.deepEqual((await provider().submit(request)).result, {
      status: 'unknown',
      reason: 'the provider already has this clientRef (DUP_REF)',
    });
  });

  test('not-found codes count only for status checks', async () => {
    fake.json(200, { status: 'FAILED', error: 'NO_TXN' });
    assert.equal((await provider().submit(request)).result.status, 'failed');
  });

  test('HTTP statuses the definition lists: unavailable, and not_found for status checks', async () => {
    const base = jsonDefinition();
    const p = provider({
      response: { ...base.response!, unavailableHttpStatuses: [503, 429], notFound: { httpStatuses: [404] } },
    });
    fake.raw(429, 'slow down');
    assert.deepEqual((await p.submit(request)).result, { status: 'unavailable', reason: 'HTTP 429' });
    fake.raw(404, 'Not Found');
    assert.deepEqual((await p.status('R-1')).result, { status: 'not_found' });
  });
});

describe('HttpRechargeProvider: transport failures', () => {
  test('no answer within the timeout → unknown, never a failure', async () => {
    fake.handler = () => undefined; // holds the response until the server closes
    const started = Date.now();
    const call = await provider({ timeoutMs: 150 }).submit(request);
    assert.deepEqual(call.result, { status: 'unknown', reason: 'no answer within 150 ms' });
    assert.ok(Date.now() - started >= 140);
    assert.equal(call.exchange.response, null);
    assert.match(call.exchange.error ?? '', /aborted|timeout/i);
    assertNoSecrets(call);
  });

  test('a body that stops arriving is cut off by the same timeout → unknown', async () => {
    fake.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":');
    };
    const call = await provider({ timeoutMs: 150 }).submit(request);
    assert.equal(call.result.status, 'unknown');
  });

  test('the connection reset mid-request → unknown', async () => {
    fake.handler = (req, res) => res.socket?.destroy();
    const call = await provider().submit(request);
    assert.equal(call.result.status, 'unknown');
    assert.match(call.result.status === 'unknown' ? call.result.reason : '', /connection lost/);
    assert.ok(call.exchange.error);
  });

  test('connection refused → unavailable', async () => {
    const closed = new FakeProvider();
    await closed.start();
    await closed.stop();
    const p = new HttpRechargeProvider('t', parseDefinition('t', jsonDefinition()), {
      ...env,
      placeholders: { testBase: closed.url },
    });
    const call = await p.submit(request);
    assert.deepEqual(call.result, { status: 'unavailable', reason: 'connection failed (ECONNREFUSED)' });
    assert.match(call.exchange.error ?? '', /ECONNREFUSED/);
  });

  test('a missing secret or placeholder stops the provider from being built', () => {
    const def = parseDefinition('t', jsonDefinition());
    assert.throws(
      () => new HttpRechargeProvider('t', def, { ...env, secrets: { ...SECRETS, PROVIDER_T_TOKEN: '' } }),
      (err: unknown) => err instanceof ProviderConfigError && /PROVIDER_T_TOKEN is not set/.test(err.message),
    );
    assert.throws(() => new HttpRechargeProvider('t', def, { ...env, placeholders: {} }), /unknown placeholder/);
    assert.throws(
      () => new HttpRechargeProvider('t', def, { placeholders: {}, secrets: {} }),
      (err: unknown) => {
        assert.ok(err instanceof ProviderConfigError);
        for (const missing of [
          /unknown placeholder \{testBase\}/,
          /PROVIDER_T_KEY is not set/,
          /PROVIDER_T_TOKEN is not set/,
        ]) {
          assert.match(err.message, missing);
        }
        assert.match(err.message, /PROVIDER_T_CALLBACK is not set/, 'every problem is named at once');
        return true;
      },
    );
  });

  test('a callback secret shorter than 16 characters stops the provider from being built', () => {
    const def = parseDefinition('t', jsonDefinition());
    assert.throws(
      () =>
        new HttpRechargeProvider('t', def, { ...env, secrets: { ...SECRETS, PROVIDER_T_CALLBACK: 'x'.repeat(15) } }),
      (err: unknown) =>
        err instanceof ProviderConfigError && /PROVIDER_T_CALLBACK is shorter than 16 characters/.test(err.message),
    );
    assert.ok(
      new HttpRechargeProvider('t', def, { ...env, secrets: { ...SECRETS, PROVIDER_T_CALLBACK: 'x'.repeat(16) } }),
    );
  });
});

describe('HttpRechargeProvider: callbacks', () => {
  const sign = (body: string, secret = SECRETS.PROVIDER_T_CALLBACK) =>
    createHmac('sha256', secret).update(body).digest('hex');
  const body = JSON.stringify({ ref: 'R-9', status: 'SUCCESS', data: { opref: 'OPX' }, msg: 'ok' });

  test('a signed callback is verified over the raw body and parsed', () => {
    const parsed = provider().parseCallback({
      headers: { 'x-signature': sign(body), 'content-type': 'application/json' },
      rawBody: Buffer.from(body),
      url: '/v1/providers/t/callback',
    });
    assert.equal(parsed.clientRef, 'R-9');
    assert.deepEqual(parsed.result, { status: 'success', operatorRef: 'OPX', providerTxnId: null, message: 'ok' });
    assert.equal(parsed.exchange.operation, 'callback');
    assert.equal(parsed.exchange.request.body, body);
    assert.equal(parsed.exchange.request.url, '/v1/providers/t/callback');
    assert.equal(parsed.exchange.request.headers['content-type'], 'application/json');
  });

  test('header names are matched case-insensitively, hex in either case, arrays take the first', () => {
    const parsed = provider().parseCallback({
      headers: { 'X-SIGNATURE': [sign(body).toUpperCase(), 'junk'] },
      rawBody: Buffer.from(body),
    });
    assert.equal(parsed.clientRef, 'R-9');
  });

  test('form callbacks and base64 signatures', () => {
    const base = jsonDefinition();
    const p = provider({
      callback: {
        format: 'form',
        fields: { clientRef: 'reqid', status: 'status', errorCode: 'err', message: 'msg' },
        signature: { header: 'X-Sig', encoding: 'base64', secretEnv: 'PROVIDER_T_CALLBACK' },
      },
      response: { ...base.response!, codes: { success: ['00'], pending: ['01'], failed: ['99'], reversed: ['04'] } },
    });
    const form = 'status=99&err=INVALID_NUMBER&msg=Invalid+number&reqid=R-7';
    const sig = createHmac('sha256', SECRETS.PROVIDER_T_CALLBACK).update(form).digest('base64');
    const parsed = p.parseCallback({ headers: { 'x-sig': sig }, rawBody: Buffer.from(form) });
    assert.equal(parsed.clientRef, 'R-7');
    assert.deepEqual(parsed.result, {
      status: 'failed',
      fault: 'subscriber',
      code: 'INVALID_NUMBER',
      message: 'Invalid number',
      providerTxnId: null,
    });
  });

  const rejections: Array<{ name: string; headers: Record<string, string>; body: string; why: RegExp }> = [
    { name: 'unsigned', headers: {}, body, why: /no X-Signature header/ },
    { name: 'signed with another secret', headers: { 'x-signature': sign(body, 'guess') }, body, why: /bad signature/ },
    {
      name: 'a body changed after signing',
      headers: { 'x-signature': sign(body) },
      body: body.replace('SUCCESS', 'REVERSED'),
      why: /bad signature/,
    },
    { name: 'a truncated signature', headers: { 'x-signature': sign(body).slice(0, 10) }, body, why: /bad signature/ },
    { name: 'signed garbage', headers: { 'x-signature': sign('not json') }, body: 'not json', why: /not json/ },
    {
      name: 'no client reference',
      headers: { 'x-signature': sign('{"status":"SUCCESS"}') },
      body: '{"status":"SUCCESS"}',
      why: /no client reference/,
    },
    {
      name: 'an unknown status',
      headers: { 'x-signature': sign('{"ref":"R","status":"MAYBE"}') },
      body: '{"ref":"R","status":"MAYBE"}',
      why: /unrecognised status "MAYBE"/,
    },
  ];
  for (const r of rejections) {
    test(`rejected: ${r.name}, with the raw callback kept`, () => {
      assert.throws(
        () => provider().parseCallback({ headers: r.headers, rawBody: Buffer.from(r.body) }),
        (err: unknown) => {
          assert.ok(err instanceof CallbackRejected);
          assert.match(err.message, r.why);
          assert.equal(err.exchange.operation, 'callback');
          assert.equal(err.exchange.request.body, r.body);
          assert.match(err.exchange.error ?? '', r.why);
          return true;
        },
      );
    });
  }
});
