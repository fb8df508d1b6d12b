import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

describe('platform skeleton over HTTP', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.stop();
  });

  test('liveness and readiness report PostgreSQL and Temporal', async () => {
    const live = await fetch(`${stack.api.url}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(`${stack.api.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', checks: { db: 'ok', temporal: 'ok' } });
    assert.ok(ready.headers.get('x-request-id'));
  });

  test('request ids are echoed when well-formed and replaced otherwise', async () => {
    const ok = await fetch(`${stack.api.url}/healthz`, { headers: { 'X-Request-Id': 'abc-123' } });
    assert.equal(ok.headers.get('x-request-id'), 'abc-123');
    const bad = await fetch(`${stack.api.url}/healthz`, { headers: { 'X-Request-Id': 'no spaces allowed' } });
    assert.notEqual(bad.headers.get('x-request-id'), 'no spaces allowed');
  });

  test('metrics are Prometheus text and count requests', async () => {
    const res = await fetch(`${stack.api.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /tijori_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });

  test('the OpenAPI document is generated from the route schemas and rendered at /docs', async () => {
    const res = await fetch(`${stack.api.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/readyz']?.get);
    const docs = await fetch(`${stack.api.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
  });

  test('unknown routes and malformed JSON get the contract error format, never a 500', async () => {
    const missing = await fetch(`${stack.api.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    // Under /v1 nothing is told to a caller without credentials, not even which routes exist.
    const anonymous = await fetch(`${stack.api.url}/v1/nope`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    const malformed = await fetch(`${stack.api.url}/v1/webhooks/gateway`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"amount": ',
    });
    assert.equal(malformed.status, 400);
    const body = (await malformed.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'VALIDATION_FAILED');
  });

  test('security headers are set', async () => {
    const res = await fetch(`${stack.api.url}/healthz`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('x-powered-by'), null);
  });
});
