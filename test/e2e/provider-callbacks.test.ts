import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { uniq } from '../support/db';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
before(async () => {
  stack = await startStack({
    env: {
      PROVIDER_ALPHA_CALLBACK_SECRET: 'alpha-callback-secret-of-this-file',
      PROVIDER_BETA_CALLBACK_SECRET: 'beta-callback-secret-of-this-file',
    },
  });
});
after(() => stack.stop());

type Name = 'alpha' | 'beta';

/** A final SUCCESS callback for `ref` in each provider's own wire format. */
function callback(name: Name, ref: string): { contentType: string; body: string } {
  return name === 'alpha'
    ? {
        contentType: 'application/json',
        body: JSON.stringify({ clientRef: ref, status: 'SUCCESS', txnId: 'ATX1', operatorRef: 'JI1234567890' }),
      }
    : {
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ reqid: ref, status: '00', txn_id: 'BTX1', opr_ref: 'JI1234567890' }).toString(),
      };
}

async function deliver(route: Name, body: { contentType: string; body: string }, secret: string) {
  const res = await fetch(`${stack.api.url}/v1/providers/${route}/callback`, {
    method: 'POST',
    headers: {
      'Content-Type': body.contentType,
      'X-Signature': createHmac('sha256', secret).update(body.body).digest('hex'),
    },
    body: body.body,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

test("a callback signed with one provider's secret is refused at the other's route, both ways", async () => {
  const secret = {
    alpha: stack.config.providers.credentials.PROVIDER_ALPHA_CALLBACK_SECRET!,
    beta: stack.config.providers.credentials.PROVIDER_BETA_CALLBACK_SECRET!,
  };
  assert.equal(secret.alpha, 'alpha-callback-secret-of-this-file');
  for (const [route, other] of [
    ['alpha', 'beta'],
    ['beta', 'alpha'],
  ] as const) {
    const ref = uniq('rch_');
    const forged = await deliver(route, callback(route, ref), secret[other]);
    assert.equal(forged.status, 401, `${other}'s secret at ${route}: ${JSON.stringify(forged.body)}`);
    assert.equal(forged.body.error?.code, 'UNAUTHENTICATED');
    assert.match(forged.body.error?.message ?? '', /bad signature/);

    // Its own secret passes the signature: the recharge itself is unknown here.
    const own = await deliver(route, callback(route, ref), secret[route]);
    assert.equal(own.status, 404, `${route}'s own secret: ${JSON.stringify(own.body)}`);
    assert.equal(own.body.error?.code, 'NOT_FOUND');
  }
});
