import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KycProviderRejected, KycProviderUnavailable, createKycProviderClient } from '../../../src/kyc/provider-client';
import { CircuitBreakers, CircuitOpenError } from '../../../src/providers/circuit-breakers';
import { testDb, uniq } from '../../support/db';

const COOLDOWN_MS = 300;
const db = testDb();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A KYC provider that answers what `answer` says and counts the calls that reach it. */
let answer: 200 | 400 | 503 = 200;
let hits = 0;
let server: Server;
let baseUrl: string;

before(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(answer, { 'Content-Type': 'application/json' });
    res.end(answer === 200 ? '{"status":"PENDING","reason":null}' : '{"error":{"code":"BAD_REQUEST"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await db.destroy();
});

/** Two processes' clients of one KYC provider: each with its own CircuitBreakers, one shared circuit. */
function kycClients() {
  const circuit = uniq('kyc');
  const client = () =>
    createKycProviderClient({
      baseUrl,
      timeoutMs: 2000,
      breakers: new CircuitBreakers(db, { threshold: 3, cooldownMs: COOLDOWN_MS }),
      circuit,
    });
  const health = () => new CircuitBreakers(db, { threshold: 3, cooldownMs: COOLDOWN_MS }).health(circuit);
  return { a: client(), b: client(), health };
}

describe("the KYC provider's circuit breaker is the recharge providers' one, in PostgreSQL", () => {
  test('it opens after the threshold of outages and then keeps every process off the provider', async () => {
    const { a, b, health } = kycClients();
    answer = 503;
    for (let i = 0; i < 3; i++) await assert.rejects(a.panStatus('pan_1'), KycProviderUnavailable);
    assert.equal((await health()).state, 'open');
    const before = hits;
    await assert.rejects(a.panStatus('pan_1'), CircuitOpenError);
    await assert.rejects(b.panStatus('pan_1'), CircuitOpenError, 'the other process sees the same breaker');
    assert.equal(hits, before, 'an open breaker calls nobody');
  });

  test('after the cool-down exactly one caller probes; its success closes the breaker', async () => {
    const { a, b, health } = kycClients();
    answer = 503;
    for (let i = 0; i < 3; i++) await assert.rejects(a.panStatus('pan_1'), KycProviderUnavailable);
    await sleep(COOLDOWN_MS + 50);
    answer = 200;
    const before = hits;
    const outcomes = await Promise.allSettled([a, b, a, b, a, b].map((c) => c.panStatus('pan_1')));
    assert.equal(hits - before, 1, 'one probe');
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof CircuitOpenError);
    assert.deepEqual(await b.panStatus('pan_1'), { status: 'PENDING', reason: null });
    assert.equal((await health()).state, 'closed');
  });

  test('a failed probe opens it again at once', async () => {
    const { a, b, health } = kycClients();
    answer = 503;
    for (let i = 0; i < 3; i++) await assert.rejects(a.panStatus('pan_1'), KycProviderUnavailable);
    await sleep(COOLDOWN_MS + 50);
    await assert.rejects(b.panStatus('pan_1'), KycProviderUnavailable, 'the probe reaches the provider');
    await assert.rejects(a.panStatus('pan_1'), CircuitOpenError);
    assert.equal((await health()).state, 'open');
  });

  test('a refusal (4xx) is an answer: the provider is up, the run of outages starts again', async () => {
    const { a, health } = kycClients();
    answer = 503;
    for (let i = 0; i < 2; i++) await assert.rejects(a.panStatus('pan_1'), KycProviderUnavailable);
    assert.equal((await health()).consecutiveFailures, 2);
    answer = 400;
    await assert.rejects(a.panStatus('pan_1'), KycProviderRejected);
    assert.equal((await health()).consecutiveFailures, 0);
    answer = 503;
    for (let i = 0; i < 2; i++) await assert.rejects(a.panStatus('pan_1'), KycProviderUnavailable);
    assert.equal((await health()).state, 'closed');
  });
});
