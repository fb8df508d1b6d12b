import assert from 'node:assert/strict';
import type { Role } from '../../src/users/types';
import { ApiClient, uniqueMobile, type Reply } from './api';
import { uniq } from './db';

/** A user made over the API, with its own API key and a client that acts as it. */
export interface Member {
  id: string;
  role: Role;
  key: string;
  api: ApiClient;
}

/** Creates a user as `by` (below `parentId`, or below `by` itself) and gives it an API key. */
export async function addUser(by: ApiClient, role: Role, parentId?: string): Promise<Member> {
  const created = await by.post(
    '/v1/users',
    { role, name: `${role} ${uniq()}`, mobile: uniqueMobile(), parentId },
    false,
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const key = await by.post('/v1/api-keys', { userId: id, name: 'test' }, false);
  assert.equal(key.status, 201, JSON.stringify(key.body));
  return { id, role, key: key.body.key as string, api: by.as(key.body.key as string) };
}

export function utr(): string {
  return uniq('UTR');
}

/** A bank-transfer top-up by `member`, approved by `approver`; answers the completed top-up. */
export async function fund(approver: ApiClient, member: Member, amount: number): Promise<Record<string, unknown>> {
  const t = await member.api.post('/v1/topups', { method: 'bank_transfer', amount, utr: utr() });
  assert.equal(t.status, 202, JSON.stringify(t.body));
  const a = await approver.post(`/v1/topups/${t.body.id as string}/approve`, {}, false);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.status, 'completed');
  return a.body;
}

export async function balanceOf(api: ApiClient, userId: string): Promise<number> {
  const w = await api.get(`/v1/wallets/${userId}`);
  assert.equal(w.status, 200, JSON.stringify(w.body));
  return w.body.balance as number;
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Asserts the exact status and contract error code of a failed request. */
export function expectError(reply: Reply, status: number, code: string): void {
  const body = reply.body as unknown as ErrorBody;
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(body.error?.code, code, JSON.stringify(reply.body));
}

/** Polls `probe` until `done` holds for its answer (or fails after `timeoutMs`). */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`condition not met in ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A well-formed id that names nothing: out-of-scope ids must be indistinguishable from it. */
export function ghostId(prefix: string): string {
  return `${prefix}_${'0'.repeat(20)}`;
}

/**
 * The tree the user, wallet and top-up tests share:
 *
 *   admin ─┬─ dist ─┬─ ret
 *          │        └─ ret2
 *          ├─ md ── mdist ── mret
 *          ├─ dist2 ── ret3
 *          └─ support
 */
export async function buildTree(admin: ApiClient) {
  const dist = await addUser(admin, 'distributor');
  const ret = await addUser(dist.api, 'retailer');
  const ret2 = await addUser(dist.api, 'retailer');
  const md = await addUser(admin, 'master_distributor');
  const mdist = await addUser(md.api, 'distributor');
  const mret = await addUser(mdist.api, 'retailer');
  const dist2 = await addUser(admin, 'distributor');
  const ret3 = await addUser(dist2.api, 'retailer');
  const support = await addUser(admin, 'support');
  return { dist, ret, ret2, md, mdist, mret, dist2, ret3, support };
}
