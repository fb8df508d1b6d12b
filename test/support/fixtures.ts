import assert from 'node:assert/strict';
import { ApiClient, uniqueMobile } from './api';
import { waitFor } from './people';

export interface Network {
  distId: string;
  dist: ApiClient;
  retailerId: string;
  retailer: ApiClient;
}

async function keyFor(admin: ApiClient, userId: string): Promise<ApiClient> {
  const r = await admin.post('/v1/api-keys', { userId, name: 'test' }, false);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return admin.as(r.body.key as string);
}

/**
 * A distributor under the admin and a retailer under it, the retailer holding `retailerPaise`
 * (a bank top-up approved by the admin, then a transfer down from the distributor).
 */
export async function fundedRetailer(admin: ApiClient, retailerPaise: number): Promise<Network> {
  const d = await admin.post('/v1/users', { role: 'distributor', name: 'Dist', mobile: uniqueMobile() }, false);
  assert.equal(d.status, 201, JSON.stringify(d.body));
  const distId = d.body.id as string;
  const r = await admin.post(
    '/v1/users',
    { role: 'retailer', name: 'Retailer', mobile: uniqueMobile(), parentId: distId },
    false,
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const retailerId = r.body.id as string;
  const dist = await keyFor(admin, distId);
  const retailer = await keyFor(admin, retailerId);
  if (retailerPaise > 0) {
    const utr = `UTR${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const t = await dist.post('/v1/topups', { method: 'bank_transfer', amount: retailerPaise, utr });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const a = await admin.post(`/v1/topups/${t.body.id as string}/approve`, {}, false);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const x = await dist.post('/v1/transfers', { fromUserId: distId, toUserId: retailerId, amount: retailerPaise });
    assert.equal(x.status, 201, JSON.stringify(x.body));
  }
  return { distId, dist, retailerId, retailer };
}

export async function balanceOf(api: ApiClient, userId: string) {
  const w = await api.get<{ balance: number; held: number; available: number; dues: number }>(`/v1/wallets/${userId}`);
  assert.equal(w.status, 200, JSON.stringify(w.body));
  return w.body;
}

/** The retailer's wallet to the paisa: balance, held, available = balance - held, and dues owed. */
export async function expectWallet(n: Network, balance: number, held = 0, dues = 0): Promise<void> {
  assert.deepEqual(await balanceOf(n.retailer, n.retailerId), {
    userId: n.retailerId,
    currency: 'INR',
    balance,
    held,
    available: balance - held,
    dues,
  });
}

/** Asks for a recharge (with a fresh Idempotency-Key), which must be accepted: 202 with its ids. */
export async function startRecharge(
  api: ApiClient,
  body: { operator: string; subscriber: string; amount: number },
): Promise<{ id: string; workflowId: string }> {
  const r = await api.post<{ id: string; workflowId: string }>('/v1/recharges', body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body;
}

/** Polls until `check` holds (or fails the test after `timeoutMs`). */
export function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  return waitFor(fn, check, timeoutMs);
}
