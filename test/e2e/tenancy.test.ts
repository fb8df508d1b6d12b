import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey, uniqueMobile, type Reply } from '../support/api';
import { testDb } from '../support/db';
import { addUser, expectError, fund, ghostId, utr, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

/**
 * Cross-tenant access by id guessing: every role of one tree (and support) tries every read and
 * write on every resource of another tree. Outside its scope a user must get exactly the answer
 * an id that does not exist gets (404), so ids cannot be probed; support reads everything and
 * changes nothing (403). Afterwards the victims are exactly as they were.
 */
let stack: TestStack;
let db: Db;
let admin: ApiClient;
// admin ─┬─ mdA ── dA ── rA      (attackers)
//        ├─ mdB ── dB ── rB      (victims)
//        └─ support
let attackers: Member[];
let support: Member;
let victims: Member[];
const victimTopup = new Map<string, string>();
const victimKey = new Map<string, { id: string; key: string }>();

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  const mdA = await addUser(admin, 'master_distributor');
  const dA = await addUser(mdA.api, 'distributor');
  const rA = await addUser(dA.api, 'retailer');
  attackers = [mdA, dA, rA];
  for (const m of attackers) await fund(admin, m, 50_000);
  const mdB = await addUser(admin, 'master_distributor');
  const dB = await addUser(mdB.api, 'distributor');
  const rB = await addUser(dB.api, 'retailer');
  victims = [mdB, dB, rB];
  for (const v of victims) {
    await fund(admin, v, 20_000);
    const t = await v.api.post('/v1/topups', { method: 'bank_transfer', amount: 1_000, utr: utr() });
    assert.equal(t.status, 202);
    victimTopup.set(v.id, t.body.id as string);
    const k = await v.api.post('/v1/api-keys', { name: 'victim' }, false);
    victimKey.set(v.id, { id: k.body.id as string, key: k.body.key as string });
  }
  support = await addUser(admin, 'support');
});
after(async () => {
  await stack.stop();
  await db.destroy();
});

/** What the victims' side of the database looks like; no attempt may change it. */
async function victimState() {
  const ids = victims.map((v) => v.id);
  return {
    users: await db('users').whereIn('id', ids).orderBy('id').select('id', 'status', 'updated_at'),
    children: await db('users').whereIn('parent_id', ids).orderBy('id').pluck('id'),
    wallets: await db('ledger_accounts')
      .whereIn(
        'id',
        ids.map((id) => `wallet:${id}`),
      )
      .orderBy('id')
      .select('id', 'debits_posted', 'credits_posted'),
    topups: await db('topups').whereIn('user_id', ids).orderBy('id').select('id', 'status', 'updated_at'),
    keys: await db('api_keys').whereIn('user_id', ids).orderBy('id').select('id', 'revoked_at'),
  };
}

type Attempt = {
  what: string;
  kind: 'read' | 'write';
  run: (api: ApiClient) => Promise<Reply>;
  ghost: () => Promise<Reply>;
};

function attemptsOn(v: Member, self: Member | undefined): Attempt[] {
  const topup = victimTopup.get(v.id)!;
  const key = victimKey.get(v.id)!.id;
  const ghostUser = ghostId('usr');
  const ghostTopup = ghostId('tpu');
  const own = self?.id ?? ghostUser;
  const read = (what: string, path: (id: string) => string, headers?: Record<string, string>): Attempt => ({
    what,
    kind: 'read',
    run: (api) => api.get(path(v.id), headers),
    ghost: () => admin.as(self?.key ?? '').get(path(ghostUser), headers),
  });
  return [
    read('GET user', (id) => `/v1/users/${id}`),
    read('GET wallet', (id) => `/v1/wallets/${id}`),
    read('GET statement', (id) => `/v1/wallets/${id}/statement`),
    read('GET statement as CSV', (id) => `/v1/wallets/${id}/statement`, { Accept: 'text/csv' }),
    read('GET users?parentId', (id) => `/v1/users?parentId=${id}`),
    read('GET api-keys?userId', (id) => `/v1/api-keys?userId=${id}`),
    {
      what: 'GET topup',
      kind: 'read',
      run: (api) => api.get(`/v1/topups/${topup}`),
      ghost: () => admin.as(self?.key ?? '').get(`/v1/topups/${ghostTopup}`),
    },
    ...(['suspend', 'activate'] as const).map((action): Attempt => ({
      what: `POST ${action}`,
      kind: 'write',
      run: (api) => api.post(`/v1/users/${v.id}/${action}`, {}, false),
      ghost: () => admin.as(self?.key ?? '').post(`/v1/users/${ghostUser}/${action}`, {}, false),
    })),
    {
      what: 'POST user below the victim',
      kind: 'write',
      run: (api) =>
        api.post('/v1/users', { role: 'retailer', name: 'x', mobile: uniqueMobile(), parentId: v.id }, false),
      ghost: () =>
        admin
          .as(self?.key ?? '')
          .post('/v1/users', { role: 'retailer', name: 'x', mobile: uniqueMobile(), parentId: ghostUser }, false),
    },
    {
      what: 'POST api key for the victim',
      kind: 'write',
      run: (api) => api.post('/v1/api-keys', { userId: v.id, name: 'x' }, false),
      ghost: () => admin.as(self?.key ?? '').post('/v1/api-keys', { userId: ghostUser, name: 'x' }, false),
    },
    {
      what: 'DELETE the victim’s api key',
      kind: 'write',
      run: (api) => api.call('DELETE', `/v1/api-keys/${key}`),
      ghost: () => admin.as(self?.key ?? '').call('DELETE', `/v1/api-keys/${ghostId('key')}`),
    },
    {
      what: 'POST transfer out of the victim',
      kind: 'write',
      run: (api) => api.post('/v1/transfers', { fromUserId: v.id, toUserId: own, amount: 100 }),
      ghost: () =>
        admin.as(self?.key ?? '').post('/v1/transfers', { fromUserId: ghostUser, toUserId: own, amount: 100 }),
    },
    {
      what: 'POST transfer into the victim',
      kind: 'write',
      run: (api) => api.post('/v1/transfers', { fromUserId: own, toUserId: v.id, amount: 100 }),
      ghost: () =>
        admin.as(self?.key ?? '').post('/v1/transfers', { fromUserId: own, toUserId: ghostUser, amount: 100 }),
    },
    ...(['approve', 'reject'] as const).map((action): Attempt => ({
      what: `POST topup ${action}`,
      kind: 'write',
      run: (api) => api.post(`/v1/topups/${topup}/${action}`, {}),
      ghost: () => admin.as(self?.key ?? '').post(`/v1/topups/${ghostTopup}/${action}`, {}),
    })),
  ];
}

describe('cross-tenant access by id guessing', () => {
  test('each role of another tree gets exactly the 404 of a missing id, for every read and write', async () => {
    const before = await victimState();
    const attack = async (attacker: Member) => {
      for (const v of victims) {
        for (const a of attemptsOn(v, attacker)) {
          const [got, ghost] = [await a.run(attacker.api), await a.ghost()];
          const who = `${attacker.role} → ${a.what} of a ${v.role}`;
          assert.deepEqual([got.status, got.body], [ghost.status, ghost.body], `${who} must look like a missing id`);
          // A retailer creates no users anywhere: refused for its role before any lookup.
          if (attacker.role === 'retailer' && a.what.startsWith('POST user')) expectError(got, 403, 'FORBIDDEN');
          else expectError(got, 404, 'NOT_FOUND');
        }
      }
    };
    await Promise.all(attackers.map(attack));
    assert.deepEqual(await victimState(), before);
  });

  test('lists hold nothing of another tree', async () => {
    const victimIds = new Set(victims.map((v) => v.id));
    for (const attacker of attackers) {
      const users = (await attacker.api.get('/v1/users?limit=200')).body.items as Array<{ id: string }>;
      assert.ok(!users.some((u) => victimIds.has(u.id)), attacker.role);
      const topups = (await attacker.api.get('/v1/topups?limit=200')).body.items as Array<{ userId: string }>;
      assert.ok(!topups.some((t) => victimIds.has(t.userId)), attacker.role);
    }
  });

  test('support reads every one of them and changes nothing (403, or 404 for keys it cannot manage)', async () => {
    const before = await victimState();
    for (const v of victims) {
      for (const a of attemptsOn(v, support)) {
        const got = await a.run(support.api);
        const who = `support → ${a.what} of a ${v.role}`;
        if (a.kind === 'read') {
          assert.equal(got.status, 200, `${who}: ${JSON.stringify(got.body)}`);
        } else if (a.what.startsWith('DELETE')) {
          expectError(got, 404, 'NOT_FOUND');
        } else {
          assert.equal(got.status, 403, `${who}: ${JSON.stringify(got.body)}`);
          expectError(got, 403, 'FORBIDDEN');
        }
      }
    }
    assert.deepEqual(await victimState(), before);
    for (const v of victims) {
      assert.equal((await v.api.as(victimKey.get(v.id)!.key).get(`/v1/users/${v.id}`)).status, 200, 'keys still work');
    }
  });
});
