import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import type { AppDeps } from '../../../src/http/context';
import { createApp } from '../../../src/http/app';
import { MAX_INPUT_DEPTH, unstorableFields } from '../../../src/http/input-guard';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';

describe('text PostgreSQL cannot store, and nesting past the limit', () => {
  test('NUL and unpaired surrogates are found in values and field names, at any depth, with their path', () => {
    assert.deepEqual(unstorableFields({ reason: 'a\u0000b' }, 'body'), [
      { path: 'body.reason', message: 'contains a NUL character (U+0000)' },
    ]);
    assert.deepEqual(unstorableFields({ a: [{ b: 'x' }, { c: 'y\ud800' }] }, 'body'), [
      { path: 'body.a.1.c', message: 'contains an unpaired UTF-16 surrogate' },
    ]);
    assert.deepEqual(unstorableFields({ 'a\u0000b': 1 }, 'body'), [
      { path: 'body.a\ufffdb', message: 'field name contains a NUL character (U+0000)' },
    ]);
    assert.deepEqual(unstorableFields({ cursor: ['ok', '\udc00x'] }, 'query'), [
      { path: 'query.cursor.1', message: 'contains an unpaired UTF-16 surrogate' },
    ]);
  });

  test('any other text is fine: paired surrogates, control characters, every script', () => {
    const fine = {
      a: '\u{1d54f} emoji 😀',
      b: 'tab\tnewline\n\u0001',
      c: 'हिन्दी',
      d: 'e\u0301',
      e: ['', null, 1, true],
    };
    assert.deepEqual(unstorableFields(fine, 'body'), []);
  });

  test('nesting is refused past the limit without recursing (a 100 kB body nests 50,000 deep)', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    assert.deepEqual(unstorableFields({ a: deep }, 'body'), [
      { path: `body.a${'.0'.repeat(MAX_INPUT_DEPTH - 1)}`, message: `nested deeper than ${MAX_INPUT_DEPTH} levels` },
    ]);
    let ok: unknown = 'leaf';
    for (let i = 0; i < MAX_INPUT_DEPTH - 1; i++) ok = [ok];
    assert.deepEqual(unstorableFields({ a: ok }, 'body'), []);
  });
});

describe('the HTTP edge refuses it for every route, before anything else', () => {
  let url: string;
  let close: () => void;
  before(async () => {
    // No database or Temporal: a request that got past the edge would fail authentication (401).
    const deps = { config: loadConfig({}), log: createLogger('silent'), metrics: createMetrics() } as AppDeps;
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => close());

  const post = (path: string, body: string, type = 'application/json') =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  test('the re-KYC request of issue 10: 400 naming body.reason', async () => {
    const res = await post('/v1/kyc/usr_x/re-kyc', '{"reason":"a\\u0000b"}');
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'The request holds text that cannot be stored, or nests too deeply',
        details: { fields: [{ path: 'body.reason', message: 'contains a NUL character (U+0000)' }] },
      },
    });
  });

  test('in a query, a form body, a public route, and nested too deeply', async () => {
    const q = await fetch(`${url}/v1/users?cursor=a%00b`);
    assert.equal(q.status, 400);
    assert.equal(
      ((await q.json()) as { error: { details: { fields: Array<{ path: string }> } } }).error.details.fields[0]!.path,
      'query.cursor',
    );
    const form = await post('/v1/providers/alpha/callback', 'status=ok&ref=a%00b', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 400);
    const lone = await post('/v1/webhooks/gateway', '{"orderId":"\\ud800"}');
    assert.equal(lone.status, 400);
    const deep = await post('/v1/transfers', `{"a":${'['.repeat(40_000)}${']'.repeat(40_000)}}`);
    assert.equal(deep.status, 400);
  });
});
