import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { z } from 'zod';
import { errorHandler } from '../../../src/http/errors';
import { OpenApiRegistry } from '../../../src/http/openapi';
import { defineRoute, methodsOfPaths } from '../../../src/http/route';
import { idempotencyHeaders, idParams, stepUpHeaders } from '../../../src/http/schemas';

let base: string;
let close: () => void;
const seen: unknown[] = [];

before(async () => {
  const app = express();
  app.use(express.json());
  const router = express.Router();
  const registry = new OpenApiRegistry();
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/things/:id',
      summary: 'a money-moving thing',
      tags: ['t'],
      params: idParams,
      headers: idempotencyHeaders.extend(stepUpHeaders.shape),
      body: z.object({ n: z.number() }),
      responses: { 200: { description: 'ok' } },
      errors: ['NOT_FOUND'],
    },
    ({ headers, res }) => {
      seen.push(headers);
      res.json({ ok: true });
    },
  );
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/things/special',
      summary: 'a special thing',
      tags: ['t'],
      responses: { 200: { description: 'ok' } },
    },
    ({ res }) => res.json({ special: true }),
  );
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/things/:id',
      summary: 'a thing',
      tags: ['t'],
      responses: { 200: { description: 'ok' } },
    },
    ({ res }) => res.json({ ok: true }),
  );
  app.use(methodsOfPaths(registry));
  app.use(router);
  app.use((_req, res) => res.status(404).end());
  app.use(errorHandler());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
after(() => close());

const post = (headers: Record<string, string>) =>
  fetch(`${base}/v1/things/abc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ n: 1 }),
  });

describe('defineRoute validates headers as it does bodies', () => {
  test('a missing or malformed Idempotency-Key or X-MPIN is a 400 naming the header; the handler never runs', async () => {
    seen.length = 0;
    for (const [headers, path] of [
      [{}, 'headers.idempotency-key'],
      [{ 'Idempotency-Key': 'a'.repeat(129) }, 'headers.idempotency-key'],
      [{ 'Idempotency-Key': 'has space' }, 'headers.idempotency-key'],
      [{ 'Idempotency-Key': 'k1', 'X-MPIN': '12345' }, 'headers.x-mpin'],
      [{ 'Idempotency-Key': 'k1', 'X-MPIN': '' }, 'headers.x-mpin'],
    ] as const) {
      const res = await post(headers);
      assert.equal(res.status, 400, JSON.stringify(headers));
      const body = (await res.json()) as { error: { code: string; details: { fields: Array<{ path: string }> } } };
      assert.equal(body.error.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        body.error.details.fields.map((f) => f.path),
        [path],
      );
    }
    assert.deepEqual(seen, []);
  });

  test('valid headers reach the handler, parsed', async () => {
    seen.length = 0;
    assert.equal((await post({ 'Idempotency-Key': 'k1', 'X-MPIN': '482913' })).status, 200);
    assert.equal((await post({ 'Idempotency-Key': 'k2' })).status, 200);
    assert.deepEqual(seen, [{ 'idempotency-key': 'k1', 'x-mpin': '482913' }, { 'idempotency-key': 'k2' }]);
  });
});

describe('a method a known path does not declare', () => {
  test('is 405 with Allow, not 404', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const res = await fetch(`${base}/v1/things/xyz`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST, GET, HEAD');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
    }
  });
  test('OPTIONS answers the methods in Allow', async () => {
    const res = await fetch(`${base}/v1/things/xyz`, { method: 'OPTIONS' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'POST, GET, HEAD');
  });
  test('a concrete path is not its templated sibling', async () => {
    assert.equal((await fetch(`${base}/v1/things/special`)).status, 200);
    for (const method of ['POST', 'PUT']) {
      const res = await fetch(`${base}/v1/things/special`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
    }
  });
  test('an unknown path is still 404', async () => {
    assert.equal((await fetch(`${base}/v1/things/xyz/more`, { method: 'PUT' })).status, 404);
  });
});
