import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { Ledger } from '../../src/ledger';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { testDb } from '../support/db';
import { recordHistory } from '../support/histories';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let admin: ApiClient;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await stack.stop();
  await db.destroy();
});

test('seed flow: admin funds a distributor, the distributor funds its retailer, the books balance', async () => {
  const dist = await admin.post('/v1/users', { role: 'distributor', name: 'Dist One', mobile: uniqueMobile() }, false);
  assert.equal(dist.status, 201, JSON.stringify(dist.body));
  const distId = dist.body.id as string;
  const ret = await admin.post(
    '/v1/users',
    { role: 'retailer', name: 'Retail One', mobile: uniqueMobile(), parentId: distId },
    false,
  );
  assert.equal(ret.status, 201, JSON.stringify(ret.body));
  const retId = ret.body.id as string;
  assert.equal(ret.body.parentId, distId);

  const distKey = (await admin.post('/v1/api-keys', { userId: distId, name: 'dist' }, false)).body.key as string;
  const retKey = (await admin.post('/v1/api-keys', { userId: retId, name: 'ret' }, false)).body.key as string;
  const distApi = admin.as(distKey);
  const retApi = admin.as(retKey);

  // The distributor's ₹5,000 bank transfer, approved by the admin (from the platform float).
  const t1 = await distApi.post('/v1/topups', { method: 'bank_transfer', amount: 500000, utr: 'UTR5000DIST1' });
  assert.equal(t1.status, 202, JSON.stringify(t1.body));
  assert.equal(t1.body.status, 'pending_approval');
  assert.equal(t1.body.workflowId, `topup-${t1.body.id as string}`);
  const a1 = await admin.post(`/v1/topups/${t1.body.id as string}/approve`, { note: 'bank statement checked' }, false);
  assert.equal(a1.status, 200, JSON.stringify(a1.body));
  assert.equal(a1.body.status, 'completed');

  // The retailer's ₹1,000 fund request, approved by its distributor (from the distributor's wallet).
  const t2 = await retApi.post('/v1/topups', { method: 'bank_transfer', amount: 100000, utr: 'UTR1000RET1' });
  assert.equal(t2.status, 202, JSON.stringify(t2.body));
  const a2 = await distApi.post(`/v1/topups/${t2.body.id as string}/approve`, {}, false);
  assert.equal(a2.status, 200, JSON.stringify(a2.body));
  assert.equal(a2.body.status, 'completed');

  const dw = await distApi.get(`/v1/wallets/${distId}`);
  assert.deepEqual(dw.body, { userId: distId, currency: 'INR', balance: 400000, held: 0, available: 400000, dues: 0 });
  const rw = await retApi.get(`/v1/wallets/${retId}`);
  assert.deepEqual(rw.body, { userId: retId, currency: 'INR', balance: 100000, held: 0, available: 100000, dues: 0 });

  const report = await new Ledger(db).verify();
  assert.equal(report.ok, true, JSON.stringify(report.violations));
  recordHistory(t1.body.workflowId as string, 'topup-bank-approved-by-admin');
  recordHistory(t2.body.workflowId as string, 'topup-bank-approved-by-distributor');
});
