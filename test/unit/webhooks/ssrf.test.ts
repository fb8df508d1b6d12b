import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { postWebhook } from '../../../src/webhooks/send';
import { addressProblem, assertSafeUrl, guardedLookup, UnsafeUrlError } from '../../../src/webhooks/ssrf';

const production = { production: true };
const development = { production: false };

/** A resolver that answers what an attacker's DNS would. */
const dnsAnswers = (answers: Record<string, string[]>) => async (host: string) => {
  const a = answers[host];
  if (!a) throw new Error('ENOTFOUND');
  return a;
};

describe('addressProblem', () => {
  const forbidden = [
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '169.254.0.1',
    '100.64.0.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '0:0:0:0:0:ffff:c0a8:0101', // 192.168.1.1
    '::127.0.0.1', // IPv4-compatible
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '64:ff9b::127.0.0.1',
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:c0a8:0101::1', // 6to4 of 192.168.1.1
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf:ffff::1',
    'ff02::1',
  ];
  for (const a of forbidden) {
    test(`refuses ${a} in production`, () => {
      assert.ok(addressProblem(a, production), a);
    });
  }

  for (const a of [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '2a00:1450::1',
    '::ffff:8.8.8.8',
    '2002:808:808::1',
    '64:ff9b::808:808',
  ]) {
    test(`allows the public ${a}`, () => {
      assert.equal(addressProblem(a, production), undefined);
    });
  }

  test('development allows loopback, in every spelling, but nothing else private', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      assert.equal(addressProblem(a, development), undefined, a);
    }
    for (const a of [
      '10.0.0.1',
      '169.254.169.254',
      '192.168.0.1',
      'fe80::1',
      'fd00::1',
      '0.0.0.0',
      '::ffff:10.0.0.1',
    ]) {
      assert.ok(addressProblem(a, development), a);
    }
  });

  test('a host name is not an address', () => {
    assert.ok(addressProblem('localhost', production));
  });
});

describe('assertSafeUrl', () => {
  const resolve = dnsAnswers({
    'hooks.example.com': ['93.184.216.34'],
    'rebind.example.com': ['93.184.216.34', '127.0.0.1'],
    'internal.example.com': ['10.1.2.3'],
    'metadata.example.com': ['169.254.169.254'],
    'v6-only-loopback.example.com': ['::1'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
  });
  const refuses = async (url: string, policy = production) =>
    assert.rejects(assertSafeUrl(url, policy, resolve), UnsafeUrlError, url);

  test('accepts a public https URL', async () => {
    const u = await assertSafeUrl('https://hooks.example.com/tijori?x=1', production, resolve);
    assert.equal(u.hostname, 'hooks.example.com');
  });

  test('refuses plain http, other schemes and credentials in production', async () => {
    await refuses('http://hooks.example.com/');
    await refuses('ftp://hooks.example.com/');
    await refuses('file:///etc/passwd');
    await refuses('gopher://hooks.example.com/');
    await refuses('javascript:alert(1)');
    await refuses('https://user:pass@hooks.example.com/');
    await refuses('not a url');
  });

  test('refuses names that resolve (even partly) to private, loopback or link-local addresses', async () => {
    await refuses('https://rebind.example.com/');
    await refuses('https://internal.example.com/');
    await refuses('https://metadata.example.com/latest/meta-data/');
    await refuses('https://v6-only-loopback.example.com/');
    await refuses('https://mapped.example.com/');
    await refuses('https://localhost/');
    await refuses('https://nowhere.example.com/');
  });

  test('refuses address literals in every spelling the URL parser accepts', async () => {
    for (const u of [
      'https://127.0.0.1/',
      'https://2130706433/', // 127.0.0.1 as one number
      'https://0x7f.1/',
      'https://0177.0.0.1/',
      'https://127.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://[fe80::1]/',
      'https://[fd00::1]/',
      'https://169.254.169.254/',
      'https://0.0.0.0/',
      'https://10.0.0.1:8443/',
    ]) {
      await refuses(u);
    }
  });

  test('development: http and loopback are fine, private networks are not', async () => {
    await assertSafeUrl('http://127.0.0.1:4000/hook', development, resolve);
    await assertSafeUrl('http://localhost:4000/hook', development, resolve);
    await assertSafeUrl('http://[::1]:4000/hook', development, resolve);
    await refuses('http://10.0.0.1/', development);
    await refuses('http://169.254.169.254/', development);
    await refuses('http://internal.example.com/', development);
  });
});

describe('at send time', () => {
  test('guardedLookup refuses a name that now resolves to loopback (DNS rebinding)', async () => {
    const err = await new Promise<Error | null>((resolve) =>
      guardedLookup(production)('localhost', { all: true }, (e) => resolve(e)),
    );
    assert.ok(err instanceof UnsafeUrlError);
  });

  test('postWebhook never connects to a forbidden address in production, even one serving 200', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const url of [`https://127.0.0.1:${port}/`, `https://localhost:${port}/`, `http://localhost:${port}/`]) {
        const r = await postWebhook(
          { url, secret: 's', body: '{}', eventId: 'evt_1' },
          { policy: production, timeoutMs: 2000 },
        );
        assert.equal(r.status, undefined, url);
        assert.ok(r.error, url);
      }
      const dev = await postWebhook(
        { url: `http://localhost:${port}/`, secret: 's', body: '{}', eventId: 'evt_1' },
        { policy: development, timeoutMs: 2000 },
      );
      assert.equal(dev.status, 200);
      assert.equal(hits, 1);
    } finally {
      server.close();
    }
  });

  test('a redirect is a failure, not followed', async () => {
    let followed = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/inside') followed++;
      res.writeHead(307, { Location: '/inside' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await postWebhook(
        { url: `http://127.0.0.1:${port}/`, secret: 's', body: '{}', eventId: 'evt_1' },
        { policy: development, timeoutMs: 2000 },
      );
      assert.equal(r.status, 307);
      assert.equal(followed, 0);
    } finally {
      server.close();
    }
  });

  test('a receiver that never answers is cut off after the timeout', async () => {
    const server = http.createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const r = await postWebhook(
        { url: `http://127.0.0.1:${port}/`, secret: 's', body: '{}', eventId: 'evt_1' },
        { policy: development, timeoutMs: 300 },
      );
      assert.equal(r.status, undefined);
      assert.ok(Date.now() - started < 2000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
