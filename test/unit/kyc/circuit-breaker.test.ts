import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, CircuitOpenError } from '../../../src/kyc/circuit-breaker';

class Down extends Error {}
class Refused extends Error {}

function breaker() {
  let now = 0;
  const b = new CircuitBreaker({ name: 'kyc', failureThreshold: 3, cooldownMs: 1000, now: () => now });
  const fail = () =>
    b.run(
      () => Promise.reject(new Down()),
      (e) => e instanceof Down,
    );
  const refuse = () =>
    b.run(
      () => Promise.reject(new Refused()),
      (e) => e instanceof Down,
    );
  const ok = () => b.run(() => Promise.resolve('ok'));
  return { b, fail, refuse, ok, advance: (ms: number) => (now += ms) };
}

test('opens after the threshold of consecutive failures and then refuses at once', async () => {
  const { b, fail, ok } = breaker();
  await assert.rejects(fail(), Down);
  await assert.rejects(fail(), Down);
  assert.equal(b.state, 'closed');
  await assert.rejects(fail(), Down);
  assert.equal(b.state, 'open');
  let called = false;
  await assert.rejects(
    b.run(async () => {
      called = true;
    }),
    (err: unknown) => err instanceof CircuitOpenError && err.retryInMs === 1000,
  );
  assert.equal(called, false);
  await assert.rejects(ok(), CircuitOpenError);
});

test('a success resets the count; refusals (4xx) do not count', async () => {
  const { b, fail, refuse, ok } = breaker();
  await assert.rejects(fail(), Down);
  await assert.rejects(fail(), Down);
  assert.equal(await ok(), 'ok');
  await assert.rejects(fail(), Down);
  await assert.rejects(refuse(), Refused);
  await assert.rejects(refuse(), Refused);
  await assert.rejects(fail(), Down);
  assert.equal(b.state, 'closed');
});

test('after the cooldown one trial call: success closes, failure opens again', async () => {
  const { b, fail, ok, advance } = breaker();
  for (let i = 0; i < 3; i++) await assert.rejects(fail(), Down);
  advance(999);
  assert.equal(b.state, 'open');
  advance(1);
  assert.equal(b.state, 'half_open');
  await assert.rejects(fail(), Down);
  assert.equal(b.state, 'open', 'a failed trial opens at once');
  advance(1000);
  let release!: () => void;
  const trial = b.run(() => new Promise<string>((r) => (release = () => r('ok'))));
  await assert.rejects(ok(), CircuitOpenError, 'one trial at a time');
  release();
  assert.equal(await trial, 'ok');
  assert.equal(b.state, 'closed');
});
