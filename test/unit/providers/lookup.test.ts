import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseDefinition, type ProviderDefinitionInput } from '../../../src/providers/recharge/definition';
import { HttpRechargeProvider } from '../../../src/providers/recharge/http-provider';
import { jsonDefinition } from './fixtures';

const SECRETS = {
  PROVIDER_T_KEY: 'key-5ecret-abc',
  PROVIDER_T_TOKEN: 'tok-5ecret-xyz',
  PROVIDER_T_CALLBACK: 'callback-secret-0123456789',
};

let answer: { status: number; body: string } = { status: 200, body: '{}' };
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
const server = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
});
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const lookup: ProviderDefinitionInput['lookup'] = {
  method: 'GET',
  path: '/hlr',
  encoding: 'query',
  constants: { format: 'json' },
  fields: { subscriber: 'mobile' },
  response: { fields: { operator: 'data.op', circle: 'data.circle' } },
};

const provider = (overrides: Partial<ProviderDefinitionInput> = {}) =>
  new HttpRechargeProvider('t', parseDefinition('t', jsonDefinition({ lookup, ...overrides })), {
    placeholders: { testBase: base },
    secrets: SECRETS,
  });

test('the lookup sends the number with the credentials and reads their operator code back as ours', async () => {
  answer = { status: 200, body: JSON.stringify({ data: { op: 'A1', circle: 'DL' } }) };
  seen.length = 0;
  assert.deepEqual(await provider().lookup('9810012345'), { status: 'found', operator: 'AIRTEL', circle: 'DL' });
  const url = new URL(seen[0]!.url, base);
  assert.equal(url.pathname, '/p/hlr');
  assert.equal(url.searchParams.get('mobile'), '9810012345');
  assert.equal(url.searchParams.get('format'), 'json');
  assert.equal(url.searchParams.get('token'), SECRETS.PROVIDER_T_TOKEN);
  assert.equal(seen[0]!.headers['x-api-key'], SECRETS.PROVIDER_T_KEY);
});

test('not found, an operator code we do not map, an error or no lookup at all: never an operator', async () => {
  answer = { status: 404, body: '{}' };
  assert.deepEqual(await provider().lookup('9810012345'), { status: 'not_found' });
  answer = { status: 200, body: JSON.stringify({ data: { op: 'ZZ' } }) };
  assert.equal((await provider().lookup('9810012345')).status, 'unknown');
  answer = { status: 200, body: 'not json' };
  assert.equal((await provider().lookup('9810012345')).status, 'unknown');
  answer = { status: 500, body: '{}' };
  assert.equal((await provider().lookup('9810012345')).status, 'unknown');
  assert.equal((await provider({ lookup: undefined }).lookup('9810012345')).status, 'unknown');
});

test('the circle is optional; a lookup definition is checked like the other requests', () => {
  const noCircle = { ...lookup!, response: { fields: { operator: 'op' } } };
  assert.doesNotThrow(() => parseDefinition('t', jsonDefinition({ lookup: noCircle })));
  assert.throws(() => parseDefinition('t', jsonDefinition({ lookup: { ...lookup!, encoding: 'json' } })), /GET sends/);
  assert.throws(() => parseDefinition('t', jsonDefinition({ lookup: { ...lookup!, fields: {} } as never })));
});
