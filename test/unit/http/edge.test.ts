import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { MemoryRateLimiter } from '../../../src/auth/rate-limit';
import { loadConfig } from '../../../src/config';
import { createApp } from '../../../src/http/app';
import type { AppDeps } from '../../../src/http/context';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import type { Caller, User } from '../../../src/users/types';

const admin: Caller = { id: 'usr_admin', role: 'admin', path: 'usr_admin', status: 'active', parentId: null };
const apiKey = 'tjr_edge_test_key_0123456789abcdef';
const person = { name: 'Asha Verma', mobile: '9876501234', email: 'asha.verma@example.com', subscriber: '9123456780' };

/** The API over stub services (no database, no Temporal), logging into memory. */
async function serve(env: Record<string, string> = {}) {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const deps = {
    config: loadConfig({ AUTH_RATE_LIMIT_PER_IP: '2', ...env }),
    log: createLogger('info', 'tijori', sink),
    metrics: createMetrics(),
    auth: {
      localLimiter: new MemoryRateLimiter(),
      durableLimiter: new MemoryRateLimiter(),
      otp: {
        mobileBucket: (mobile: string) => `otp-mobile:${mobile}`,
        request: () => Promise.resolve({ challengeId: 'chl_1', expiresAt: new Date() }),
      },
    },
    users: {
      callerByApiKey: (key: string) => Promise.resolve({ caller: admin, keyId: `key_${key.length}` }),
      create: (_caller: Caller, input: { name: string; mobile: string; email?: string }) => {
        if (input.name.endsWith('!')) {
          // A careless error: the failed insert's data rides on it.
          return Promise.reject(Object.assign(new Error('insert failed'), { user: input, mobile: input.mobile }));
        }
        const now = new Date();
        const user: User = {
          id: 'usr_new',
          role: 'retailer',
          name: input.name,
          mobile: input.mobile,
          email: input.email ?? null,
          parentId: admin.id,
          path: 'usr_admin/usr_new',
          status: 'active',
          kycTier: 'none',
          createdAt: now,
          updatedAt: now,
        };
        return Promise.resolve(user);
      },
    },
  } as unknown as AppDeps;
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    logs: () => chunks.join(''),
    lines: () =>
      chunks
        .flatMap((c) => c.split('\n'))
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Served = Awaited<ReturnType<typeof serve>>;

describe('per-IP limits and X-Forwarded-For', () => {
  const servers: Served[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  let n = 0;
  const otpFrom = (s: Served, forwardedFor?: string) =>
    fetch(`${s.url}/v1/auth/otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      body: JSON.stringify({ mobile: `98765${String(n++).padStart(5, '0')}` }),
    }).then((r) => r.status);

  test('not configured: X-Forwarded-For is ignored, every request counts against the connecting address', async () => {
    const s = await serve();
    servers.push(s);
    assert.deepEqual(
      [await otpFrom(s, '203.0.113.1'), await otpFrom(s, '203.0.113.2'), await otpFrom(s, '203.0.113.3')],
      [202, 202, 429],
    );
  });

  test('a trusted proxy (loopback here) names the client: each client has its own count', async () => {
    const s = await serve({ TRUST_PROXY: 'loopback' });
    servers.push(s);
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) assert.equal(await otpFrom(s, client), 202);
    assert.equal(await otpFrom(s, '203.0.113.1'), 202);
    assert.equal(await otpFrom(s, '203.0.113.1'), 429);
    // What a client writes before the address the proxy saw counts for nothing.
    assert.equal(await otpFrom(s, '198.51.100.1, 203.0.113.2'), 202);
    assert.equal(await otpFrom(s, '198.51.100.2, 203.0.113.2'), 429);
  });

  test('a proxy that is not the connecting address is not trusted', async () => {
    const s = await serve({ TRUST_PROXY: '10.0.0.0/8' });
    servers.push(s);
    assert.deepEqual(
      [await otpFrom(s, '203.0.113.1'), await otpFrom(s, '203.0.113.2'), await otpFrom(s, '203.0.113.3')],
      [202, 202, 429],
    );
  });

  test('TRUST_PROXY: hops, addresses, subnets and named ranges; never "anyone"', () => {
    assert.equal(loadConfig({}).api.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).api.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).api.trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).api.trustProxy, [
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    for (const bad of ['true', 'proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8', 'loopback,']) {
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY/, bad);
    }
  });
});

describe('security headers', () => {
  let s: Served;
  after(() => s.close());

  test('API answers: a CSP that allows nothing, no framing, no caching, HSTS', async () => {
    s = await serve();
    for (const path of ['/healthz', '/v1/users', '/no-such-route']) {
      const res = await fetch(`${s.url}${path}`);
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'", path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.match(res.headers.get('strict-transport-security') ?? '', /^max-age=31536000; includeSubDomains$/);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });

  test('the docs page gets a CSP it works under: its own scripts only, inline styles, data: images', async () => {
    const res = await fetch(`${s.url}/docs/`);
    assert.equal(res.status, 200);
    const csp = Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    assert.deepEqual(csp['script-src'], ["'self'"]);
    assert.deepEqual(csp['style-src'], ["'self'", "'unsafe-inline'"]);
    assert.deepEqual(csp['img-src'], ["'self'", 'data:']);
    assert.deepEqual(csp['frame-ancestors'], ["'none'"]);
    const html = await res.text();
    // Under script-src 'self' an inline script would not run: every script must be a file it serves.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 3);
    for (const [, attributes = '', body = ''] of scripts) {
      assert.equal(body.trim(), '', 'no inline script');
      const src = /src=["']([^"']+)["']/.exec(attributes)?.[1];
      assert.ok(src);
      const js = await fetch(new URL(src, `${s.url}/docs/`));
      assert.equal(js.status, 200, src);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      assert.match(js.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    }
  });
});

describe('request logs', () => {
  test('one line per request with its request id and route; no credentials or personal data', async () => {
    const s = await serve();
    try {
      const headers = {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'x-mpin': '482913',
        'x-request-id': 'edge-log-1',
      };
      const created = await fetch(`${s.url}/v1/users`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ role: 'retailer', name: person.name, mobile: person.mobile, email: person.email }),
      });
      assert.equal(created.status, 201);
      const failed = await fetch(`${s.url}/v1/users`, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': 'edge-log-2' },
        body: JSON.stringify({ role: 'retailer', name: `${person.name}!`, mobile: person.mobile, email: person.email }),
      });
      assert.equal(failed.status, 500);
      const unknown = await fetch(
        `${s.url}/lookup?mobile=${person.mobile}&subscriber=${person.subscriber}&email=${person.email}`,
        { headers: { 'x-request-id': 'edge-log-3' } },
      );
      assert.equal(unknown.status, 404);

      const lines = s.lines();
      const byId = (id: string) => lines.find((l) => l.requestId === id);
      assert.deepEqual(
        { req: byId('edge-log-1')?.req, res: byId('edge-log-1')?.res, route: byId('edge-log-1')?.route },
        { req: { method: 'POST', path: '/v1/users' }, res: { status: 201 }, route: '/v1/users' },
      );
      const failure = byId('edge-log-2');
      assert.equal(failure?.level, 50);
      assert.match(JSON.stringify(failure?.err), /insert failed/, 'the 5xx line carries the error');
      assert.deepEqual(byId('edge-log-3')?.req, { method: 'GET', path: '/lookup' });

      const text = s.logs();
      for (const secret of [apiKey, '482913', ...Object.values(person)]) {
        assert.ok(!text.includes(secret), `${secret} was logged`);
      }
    } finally {
      await s.close();
    }
  });

  test('a careless log line of a body or headers is redacted by key, up to four levels deep', () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger('info', 'tijori', sink);
    log.info({ ...person, body: person, headers: { authorization: `Bearer ${apiKey}`, 'x-mpin': '482913' } }, 'a');
    log.info({ req: { body: { recharge: person }, users: [person] } }, 'b');
    log.child({ user: person }).info({ err: { details: person } }, 'c');
    const text = chunks.join('');
    for (const secret of [apiKey, '482913', ...Object.values(person)]) {
      assert.ok(!text.includes(secret), `${secret} was logged`);
    }
    assert.match(text, /"name":"tijori"/, 'the logger keeps its own name');
  });
});
