import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseDefinition, type ProviderDefinitionInput } from '../../../src/providers/recharge/definition';
import { HttpRechargeProvider, parseMoney } from '../../../src/providers/recharge/http-provider';
import { jsonDefinition } from './fixtures';

const SECRETS = {
  PROVIDER_T_KEY: 'key-5ecret-abc',
  PROVIDER_T_TOKEN: 'tok-5ecret-xyz',
  PROVIDER_T_CALLBACK: 'callback-secret-0123456789',
};

let answer: { status: number; body: string } = { status: 200, body: '{}' };
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
  });
});
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const balance: ProviderDefinitionInput['balance'] = {
  method: 'POST',
  path: '/bal',
  encoding: 'form',
  constants: { format: 'json' },
  response: { fields: { balance: 'data.bal' }, unit: 'rupees' },
  alertBelowPaise: 5_000_00,
};

const provider = (overrides: Partial<ProviderDefinitionInput> = {}) =>
  new HttpRechargeProvider('t', parseDefinition('t', jsonDefinition({ balance, ...overrides })), {
    placeholders: { testBase: base },
    secrets: SECRETS,
  });

test('the balance request carries the credentials; rupees are read as paise with the alert level', async () => {
  answer = { status: 200, body: JSON.stringify({ data: { bal: '12345.6' } }) };
  seen.length = 0;
  assert.deepEqual(await provider().balance(), { status: 'ok', balance: 12_345_60n, alertBelow: 5_000_00n });
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(new URL(seen[0]!.url, base).pathname, '/p/bal');
  const form = new URLSearchParams(seen[0]!.body);
  assert.equal(form.get('format'), 'json');
  assert.equal(form.get('token'), SECRETS.PROVIDER_T_TOKEN);
  assert.equal(seen[0]!.headers['x-api-key'], SECRETS.PROVIDER_T_KEY);

  const inPaise = { ...balance!, response: { fields: { balance: 'b' }, unit: 'paise' as const } };
  answer = { status: 200, body: JSON.stringify({ b: 99 }) };
  assert.deepEqual(await provider({ balance: inPaise }).balance(), {
    status: 'ok',
    balance: 99n,
    alertBelow: 5_000_00n,
  });
});

test('an error, a missing or malformed balance, or no balance request: never a balance', async () => {
  for (const [status, body] of [
    [500, JSON.stringify({ data: { bal: '100.00' } })],
    [200, JSON.stringify({ data: null })],
    [200, JSON.stringify({ data: { bal: '-5.00' } })],
    [200, JSON.stringify({ data: { bal: '1.234' } })],
    [200, 'not json'],
  ] as const) {
    answer = { status, body };
    assert.equal((await provider().balance()).status, 'unknown', body);
  }
  assert.equal((await provider({ balance: undefined }).balance()).status, 'unknown');
});

test('amounts: rupees with at most two decimals, paise whole; anything else is unreadable', () => {
  assert.equal(parseMoney('0', 'rupees'), 0n);
  assert.equal(parseMoney('199.5', 'rupees'), 199_50n);
  assert.equal(parseMoney('199.05', 'rupees'), 199_05n);
  assert.equal(parseMoney('199', 'paise'), 199n);
  for (const bad of ['', '1e3', '-1', '1.', '.5', '1,000.00', ' 1'])
    assert.equal(parseMoney(bad, 'rupees'), undefined, bad);
  assert.equal(parseMoney('1.5', 'paise'), undefined);
});

test('a balance definition needs its alert level and is checked like the other requests', () => {
  const { alertBelowPaise: _, ...noLevel } = balance!;
  assert.throws(() => parseDefinition('t', jsonDefinition({ balance: noLevel as never })), /alertBelowPaise/);
  assert.throws(() => parseDefinition('t', jsonDefinition({ balance: { ...balance!, method: 'GET' } })), /GET sends/);
  assert.throws(() => parseDefinition('t', jsonDefinition({ balance: { ...balance!, alertBelowPaise: 1.5 } })));
});
