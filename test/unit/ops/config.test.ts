import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config';
import { temporalUrl } from '../../../src/ops/stuck';

test('operations settings: defaults, the reconciliation interval in its units, bad values refused', () => {
  const d = loadConfig({});
  assert.deepEqual(d.ops, {
    stuckAfterSeconds: 1800,
    stuckTopupAfterSeconds: 86_400,
    describeLimit: 500,
    reconciliationIntervalSeconds: 3600,
    workerMetricsPort: undefined,
  });
  assert.equal(loadConfig({ RECONCILIATION_INTERVAL: '15m' }).ops.reconciliationIntervalSeconds, 900);
  assert.equal(loadConfig({ RECONCILIATION_INTERVAL: '2d' }).ops.reconciliationIntervalSeconds, 172_800);
  assert.equal(loadConfig({ RECONCILIATION_INTERVAL: '45s' }).ops.reconciliationIntervalSeconds, 45);
  for (const bad of ['1 hour', '0h', '1.5h', 'h', '-1m']) {
    assert.throws(() => loadConfig({ RECONCILIATION_INTERVAL: bad }), ConfigError, bad);
  }
  assert.throws(() => loadConfig({ OPS_STUCK_AFTER_SECONDS: '0' }), /OPS_STUCK_AFTER_SECONDS/);
});

test('Temporal UI links name the namespace and the escaped workflow id', () => {
  const t = { ...loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example/', TEMPORAL_NAMESPACE: 'prod' }).temporal };
  assert.equal(
    temporalUrl(t, 'recharge-usr_1-a b'),
    'https://temporal.example/namespaces/prod/workflows/recharge-usr_1-a%20b',
  );
});
