import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { DEFAULT_PROVIDER_CREDENTIALS as CREDS } from '../../../dev/simulators/operator/server';
import { OPERATOR_TEST_SUBSCRIBERS as SUB } from '../../../dev/simulators/operator/subscribers';
import { startWithReceiver } from './receiver';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

describe('startSimulators', () => {
  test('port 0 gives real, distinct loopback ports; stop() frees them even with a held response and pending callbacks', async () => {
    const env = await startWithReceiver({ operator: { pendingResolveMs: 60_000 } });
    const { urls } = env.sims;
    const ports = [urls.operator, urls.kyc, urls.gateway, urls.sms, urls.mailHttp].map((u) => {
      assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
      return Number(new URL(u).port);
    });
    ports.push(urls.smtpPort);
    assert.ok(ports.every((p) => p > 0));
    assert.equal(new Set(ports).size, ports.length);

    const held = fetch(`${urls.operator}/providers/alpha/recharge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': CREDS.alpha.apiKey },
      body: JSON.stringify({
        clientRef: 'held',
        operator: 'JIO',
        subscriber: SUB.firstSubmissionTimesOut,
        amount: 10000,
      }),
    }).catch((err: unknown) => err);
    await fetch(`${urls.operator}/providers/alpha/recharge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': CREDS.alpha.apiKey },
      body: JSON.stringify({
        clientRef: 'pending',
        operator: 'JIO',
        subscriber: SUB.pendingThenSuccess,
        amount: 10000,
      }),
    });

    const started = Date.now();
    await env.stop();
    assert.ok(Date.now() - started < 3000, 'stop does not wait for the 20 s hold');
    assert.ok((await held) instanceof Error, 'the held request is cut off');
    for (const p of ports) assert.ok(await refused(p), `port ${p} is closed`);
  });
});
