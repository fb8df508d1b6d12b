import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { newId } from '../../src/ids';
import { generateApiKey, hashApiKey, keyPrefix } from '../../src/users/api-keys';
import { ApiClient, adminKey, uniqueMobile, type Reply } from '../support/api';
import { testDb } from '../support/db';
import { addUser, expectError, ghostId, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let db: Db;
let admin: ApiClient;
let adminId: string;
// admin ─┬─ md ── dist ─┬─ ret
//        │              └─ ret2
//        ├─ dist2 ── ret3
//        └─ support
let md: Member;
let dist: Member;
let ret: Member;
let ret2: Member;
let dist2: Member;
let ret3: Member;
let support: Member;

before(async () => {
  stack = await startStack();
  db = testDb();
  admin = new ApiClient(stack.api.url, await adminKey(db));
  adminId = (await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')).id as string;
  md = await addUser(admin, 'master_distributor');
  dist = await addUser(md.api, 'distributor');
  ret = await addUser(dist.api, 'retailer');
  ret2 = await addUser(dist.api, 'retailer');
  dist2 = await addUser(admin, 'distributor');
  ret3 = await addUser(dist2.api, 'retailer');
  support = await addUser(admin, 'support');
});
after(async () => {
  await stack.stop();
  await db.destroy();
});

type Page = { items: Array<{ id: string }>; nextCursor: string | null };

const usersWithMobile = async (mobile: string) => Number((await db('users').where({ mobile }).count('* as n'))[0]!.n);

describe('POST /v1/users', () => {
  test('the created user has the contract shape; the parent defaults to the caller', async () => {
    const mobile = uniqueMobile();
    const r = await md.api.post('/v1/users', { role: 'distributor', name: '  Asha Traders ', mobile }, false);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { id, createdAt, ...rest } = r.body;
    assert.match(id as string, /^usr_[0-9a-z]{20}$/);
    assert.ok(!Number.isNaN(Date.parse(createdAt as string)));
    assert.deepEqual(rest, {
      role: 'distributor',
      name: 'Asha Traders',
      mobile,
      email: null,
      parentId: md.id,
      status: 'active',
      kycTier: 'none',
    });
  });

  test('each role creates exactly the roles the hierarchy allows below it', async () => {
    const cases: Array<[Member | 'admin', string, string | undefined, number]> = [
      ['admin', 'master_distributor', undefined, 201],
      ['admin', 'distributor', undefined, 201],
      ['admin', 'support', undefined, 201],
      ['admin', 'retailer', dist.id, 201],
      ['admin', 'admin', undefined, 400],
      [md, 'distributor', undefined, 201],
      [md, 'retailer', dist.id, 201],
      [md, 'master_distributor', undefined, 400],
      [md, 'support', undefined, 400],
      [dist, 'retailer', undefined, 201],
      [dist, 'distributor', undefined, 400],
      [dist, 'retailer', ret.id, 400],
    ];
    for (const [by, role, parentId, status] of cases) {
      const api = by === 'admin' ? admin : by.api;
      const mobile = uniqueMobile();
      const r = await api.post('/v1/users', { role, name: 'n', mobile, parentId }, false);
      const who = `${by === 'admin' ? 'admin' : by.role} creating ${role} below ${parentId ?? 'itself'}`;
      assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
      if (status === 201) {
        assert.equal(r.body.parentId, parentId ?? (by === 'admin' ? adminId : by.id), who);
      } else {
        expectError(r, 400, 'VALIDATION_FAILED');
        assert.equal(await usersWithMobile(mobile), 0, `${who} created nothing`);
      }
    }
  });

  test('every user but support gets an empty wallet', async () => {
    for (const m of [md, dist, ret, dist2]) {
      const w = await admin.get(`/v1/wallets/${m.id}`);
      assert.deepEqual(w.body, { userId: m.id, currency: 'INR', balance: 0, held: 0, available: 0, dues: 0 });
    }
    expectError(await admin.get(`/v1/wallets/${support.id}`), 404, 'NOT_FOUND');
    assert.equal(
      await db('ledger_accounts')
        .where({ id: `wallet:${support.id}` })
        .first(),
      undefined,
    );
    const own = await admin.get(`/v1/wallets/${adminId}`);
    assert.equal(own.status, 200, `the bootstrap admin has a wallet too: ${JSON.stringify(own.body)}`);
    assert.equal(own.body.currency, 'INR');
  });

  test('400 for each malformed field, listing the fields, and nothing is created', async () => {
    const mobile = uniqueMobile();
    const bad = [
      {},
      { role: 'retailer', name: 'x' },
      { role: 'shopkeeper', name: 'x', mobile },
      { role: 'retailer', name: '', mobile },
      { role: 'retailer', name: 'x'.repeat(201), mobile },
      { role: 'retailer', name: 'x', mobile: '5123456789' },
      { role: 'retailer', name: 'x', mobile: '91234' },
      { role: 'retailer', name: 'x', mobile, email: 'not-an-email' },
      { role: 'retailer', name: 'x', mobile, parentId: 'bad id!' },
      { role: 'retailer', name: 42, mobile },
    ];
    for (const body of bad) {
      const r = await dist.api.post('/v1/users', body, false);
      expectError(r, 400, 'VALIDATION_FAILED');
      const details = (r.body.error as { details: { fields: Array<{ path: string }> } }).details;
      assert.ok(
        details.fields.length > 0 && details.fields.every((f) => f.path.startsWith('body')),
        JSON.stringify(r.body),
      );
    }
    const notJson = await dist.api.call('POST', '/v1/users', undefined, {
      'Content-Type': 'application/json',
    });
    expectError(notJson, 400, 'VALIDATION_FAILED');
    assert.equal(await usersWithMobile(mobile), 0);
  });

  test('401 without a valid key', async () => {
    const body = { role: 'retailer', name: 'x', mobile: uniqueMobile() };
    expectError(await new ApiClient(stack.api.url).post('/v1/users', body, false), 401, 'UNAUTHENTICATED');
    expectError(await admin.as(`tjr_${'x'.repeat(43)}`).post('/v1/users', body, false), 401, 'UNAUTHENTICATED');
    expectError(
      await admin.call('POST', '/v1/users', body, { Authorization: `Basic ${dist.key}` }),
      401,
      'UNAUTHENTICATED',
    );
    assert.equal(await usersWithMobile(body.mobile), 0);
  });

  test('403 for retailers and support, who create nobody', async () => {
    for (const m of [ret, support]) {
      const mobile = uniqueMobile();
      expectError(await m.api.post('/v1/users', { role: 'retailer', name: 'x', mobile }, false), 403, 'FORBIDDEN');
      assert.equal(await usersWithMobile(mobile), 0);
    }
  });

  test('404 for a parent outside the caller’s downline, same as for one that does not exist', async () => {
    for (const parentId of [ret3.id, dist2.id, md.id, adminId, ghostId('usr')]) {
      const mobile = uniqueMobile();
      const r = await dist.api.post('/v1/users', { role: 'retailer', name: 'x', mobile, parentId }, false);
      expectError(r, 404, 'NOT_FOUND');
      assert.equal((r.body.error as { message: string }).message, 'User not found');
      assert.equal(await usersWithMobile(mobile), 0);
    }
  });

  test('409 CONFLICT for a mobile number already registered', async () => {
    const r = await dist.api.post(
      '/v1/users',
      { role: 'retailer', name: 'x', mobile: (await userRow(ret.id)).mobile },
      false,
    );
    expectError(r, 409, 'CONFLICT');
  });

  test('the same mobile created five times at once: one 201, four 409 CONFLICT', async () => {
    const mobile = uniqueMobile();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => dist.api.post('/v1/users', { role: 'retailer', name: 'x', mobile }, false)),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
    for (const r of replies.filter((x) => x.status === 409)) expectError(r, 409, 'CONFLICT');
    assert.equal(await usersWithMobile(mobile), 1);
    const created = replies.find((r) => r.status === 201)!.body.id as string;
    assert.equal(
      Number((await db('ledger_accounts').where({ owner: created }).count('* as n'))[0]!.n),
      1,
      'one wallet',
    );
  });

  test('422 USER_SUSPENDED below a suspended parent', async () => {
    const d = await addUser(admin, 'distributor');
    assert.equal((await admin.post(`/v1/users/${d.id}/suspend`, {}, false)).status, 200);
    for (const [api, parentId] of [
      [d.api, undefined],
      [admin, d.id],
    ] as const) {
      const mobile = uniqueMobile();
      expectError(
        await api.post('/v1/users', { role: 'retailer', name: 'x', mobile, parentId }, false),
        422,
        'USER_SUSPENDED',
      );
      assert.equal(await usersWithMobile(mobile), 0);
    }
  });
});

async function userRow(id: string) {
  return (await db('users').where({ id }).first()) as { mobile: string; status: string };
}

describe('reading users', () => {
  test('each role reads itself and its downline; everything else is 404 like an id that does not exist', async () => {
    const everyone = {
      adminId,
      md: md.id,
      dist: dist.id,
      ret: ret.id,
      ret2: ret2.id,
      dist2: dist2.id,
      ret3: ret3.id,
      support: support.id,
    };
    const sees: Array<[string, ApiClient, string[]]> = [
      ['admin', admin, Object.keys(everyone)],
      ['support', support.api, Object.keys(everyone)],
      ['md', md.api, ['md', 'dist', 'ret', 'ret2']],
      ['dist', dist.api, ['dist', 'ret', 'ret2']],
      ['ret', ret.api, ['ret']],
      ['dist2', dist2.api, ['dist2', 'ret3']],
    ];
    const ghost = await admin.get(`/v1/users/${ghostId('usr')}`);
    expectError(ghost, 404, 'NOT_FOUND');
    for (const [who, api, visible] of sees) {
      for (const [name, id] of Object.entries(everyone)) {
        const r = await api.get(`/v1/users/${id}`);
        if (visible.includes(name)) {
          assert.equal(r.status, 200, `${who} reads ${name}`);
          assert.equal(r.body.id, id);
        } else {
          assert.equal(r.status, 404, `${who} must not see ${name}`);
          assert.deepEqual(r.body, ghost.body, 'no difference from a missing id');
        }
      }
    }
  });

  test('GET /v1/users/:id: 400 for a malformed id, 401 without a key', async () => {
    expectError(await admin.get('/v1/users/usr-1;drop'), 400, 'VALIDATION_FAILED');
    expectError(await admin.get(`/v1/users/${'a'.repeat(65)}`), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get(`/v1/users/${ret.id}`), 401, 'UNAUTHENTICATED');
  });

  test('the list holds the caller’s scope only; ?parentId lists direct children in scope', async () => {
    const ids = async (api: ApiClient, q = '') => {
      const r = await api.get(`/v1/users?limit=200${q}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.items as Array<{ id: string }>).map((u) => u.id);
    };
    const distScope = await ids(dist.api);
    assert.ok([dist.id, ret.id, ret2.id].every((id) => distScope.includes(id)));
    assert.ok(![md.id, dist2.id, ret3.id, adminId].some((id) => distScope.includes(id)));
    assert.deepEqual(await ids(ret.api), [ret.id]);
    const children = await ids(md.api, `&parentId=${dist.id}`);
    assert.ok(children.includes(ret.id) && children.includes(ret2.id) && !children.includes(dist.id));
    assert.ok((await ids(support.api, `&parentId=${dist2.id}`)).includes(ret3.id));

    for (const parentId of [dist2.id, md.id, ghostId('usr')]) {
      expectError(await dist.api.get(`/v1/users?parentId=${parentId}`), 404, 'NOT_FOUND');
    }
  });

  test('cursor pagination visits every user in scope exactly once', async () => {
    const d = await addUser(admin, 'distributor');
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await addUser(d.api, 'retailer')).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Reply<Page> = await d.api.get<Page>(
        `/v1/users?parentId=${d.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.items.length <= 2);
      seen.push(...r.body.items.map((u) => u.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, created, 'in creation order, none repeated or skipped');
  });

  test('GET /v1/users: 400 for a bad cursor or limit, 401 without a key', async () => {
    expectError(await dist.api.get('/v1/users?cursor=garbage'), 400, 'VALIDATION_FAILED');
    expectError(await dist.api.get('/v1/users?limit=0'), 400, 'VALIDATION_FAILED');
    expectError(await dist.api.get('/v1/users?limit=201'), 400, 'VALIDATION_FAILED');
    expectError(await dist.api.get('/v1/users?limit=abc'), 400, 'VALIDATION_FAILED');
    expectError(await dist.api.get('/v1/users?parentId=%27or%201=1'), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get('/v1/users'), 401, 'UNAUTHENTICATED');
  });
});

describe('suspend and activate', () => {
  test('an upline (direct or not) and the admin suspend and activate; the status sticks', async () => {
    const r = await addUser(dist.api, 'retailer');
    for (const [api, action, status] of [
      [dist.api, 'suspend', 'suspended'],
      [dist.api, 'suspend', 'suspended'],
      [md.api, 'activate', 'active'],
      [md.api, 'suspend', 'suspended'],
      [admin, 'activate', 'active'],
    ] as const) {
      const res = await api.post(`/v1/users/${r.id}/${action}`, {}, false);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, status);
      assert.equal((await userRow(r.id)).status, status);
    }
  });

  test('a suspended user still reads, but cannot move money', async () => {
    const r = await addUser(dist.api, 'retailer');
    await dist.api.post(`/v1/users/${r.id}/suspend`, {}, false);
    assert.equal((await r.api.get(`/v1/users/${r.id}`)).status, 200);
    assert.equal((await r.api.get(`/v1/wallets/${r.id}`)).status, 200);
    const t = await r.api.post('/v1/topups', { method: 'bank_transfer', amount: 1000, utr: 'UTRSUSPENDED1' });
    expectError(t, 422, 'USER_SUSPENDED');
    assert.equal(await db('topups').where({ user_id: r.id }).first(), undefined);
  });

  test('403 for support (sees but manages nobody) and for users acting on themselves', async () => {
    for (const [who, id] of [
      [support, ret.id],
      [support, dist.id],
      [ret, ret.id],
      [dist, dist.id],
    ] as const) {
      for (const action of ['suspend', 'activate']) {
        expectError(await who.api.post(`/v1/users/${id}/${action}`, {}, false), 403, 'FORBIDDEN');
      }
    }
    assert.equal((await userRow(ret.id)).status, 'active');
    assert.equal((await userRow(dist.id)).status, 'active');
  });

  test('404 outside the downline (uplines, siblings, other trees, missing ids); 400 malformed; 401', async () => {
    const cases: Array<[Member, string]> = [
      [ret, ret2.id],
      [ret, dist.id],
      [dist, md.id],
      [dist, ret3.id],
      [dist2, ret.id],
      [md, dist2.id],
      [md, ghostId('usr')],
    ];
    for (const [who, id] of cases) {
      for (const action of ['suspend', 'activate']) {
        expectError(await who.api.post(`/v1/users/${id}/${action}`, {}, false), 404, 'NOT_FOUND');
      }
    }
    for (const id of [ret2.id, dist.id, md.id, ret3.id, dist2.id]) assert.equal((await userRow(id)).status, 'active');
    expectError(await admin.post('/v1/users/not$an$id/suspend', {}, false), 400, 'VALIDATION_FAILED');
    expectError(
      await new ApiClient(stack.api.url).post(`/v1/users/${ret.id}/suspend`, {}, false),
      401,
      'UNAUTHENTICATED',
    );
  });
});

describe('the admins', () => {
  /** Whatever a test did, the platform's bootstrap admin is active again for the next one. */
  const restoreAdmin = () => db('users').where({ id: adminId }).update({ status: 'active' });

  test('the bootstrap admin has no sign-in mobile: null in the user shape', async () => {
    const res = await admin.get(`/v1/users/${adminId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.mobile, null);
    assert.equal(res.body.role, 'admin');
    const listed = await admin.get<{ items: Array<Record<string, unknown>> }>('/v1/users?limit=200');
    assert.equal(listed.body.items.find((u) => u.id === adminId)?.mobile, null);
    assert.equal(await usersWithMobile('9999999999'), 0);
  });

  test('403 for an admin suspending itself; it stays active', async () => {
    try {
      const res = await admin.post(`/v1/users/${adminId}/suspend`, {}, false);
      expectError(res, 403, 'FORBIDDEN');
      assert.match(JSON.stringify(res.body), /cannot suspend or activate itself/);
      assert.equal((await userRow(adminId)).status, 'active');
      assert.equal((await admin.get(`/v1/users/${adminId}`)).status, 200, 'the admin still works');
    } finally {
      await restoreAdmin();
    }
  });

  test('two admins suspending each other at once: one stays active, the other is refused', async () => {
    const otherId = newId('usr');
    const otherKey = generateApiKey();
    await db('users').insert({
      id: otherId,
      role: 'admin',
      name: 'Second admin',
      mobile: uniqueMobile(),
      path: otherId,
    });
    await db('api_keys').insert({
      id: newId('key'),
      user_id: otherId,
      name: 'test',
      key_hash: hashApiKey(otherKey),
      key_prefix: keyPrefix(otherKey),
    });
    const other = admin.as(otherKey);
    try {
      const [a, b] = await Promise.all([
        admin.post(`/v1/users/${otherId}/suspend`, {}, false),
        other.post(`/v1/users/${adminId}/suspend`, {}, false),
      ]);
      const statuses = [(await userRow(adminId)).status, (await userRow(otherId)).status];
      assert.equal(statuses.filter((st) => st === 'active').length, 1, JSON.stringify([a.body, b.body]));
      const refused = a.status === 200 ? b : a;
      assert.equal([a, b].filter((r) => r.status === 200).length, 1);
      // Refused under the lock (409), or already suspended when its request was authenticated (422).
      const answer = [refused.status, (refused.body as { error?: { code?: string } }).error?.code];
      assert.ok(['409,CONFLICT', '422,USER_SUSPENDED'].includes(answer.join(',')), JSON.stringify(refused.body));
    } finally {
      await restoreAdmin();
      await db('users').where({ id: otherId }).update({ status: 'suspended' });
    }
  });
});

describe('API keys', () => {
  test('shown once, stored only as a hash, listed without the secret, last use recorded', async () => {
    const r = await addUser(dist.api, 'retailer');
    const created = await r.api.post('/v1/api-keys', { name: 'till 2' }, false);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['id', 'key']);
    const key = created.body.key as string;

    const row = (await db('api_keys')
      .where({ id: created.body.id as string })
      .first()) as Record<string, unknown>;
    assert.equal(row.key_hash, hashApiKey(key));
    assert.equal(row.created_by, r.id);
    assert.ok(!JSON.stringify(row).includes(key.slice(10)), 'no column holds the secret');

    const list = await r.api.get('/v1/api-keys');
    assert.equal(list.status, 200);
    assert.ok(!JSON.stringify(list.body).includes(key.slice(10)), 'the list never shows a key');
    const item = (list.body.items as Array<Record<string, unknown>>).find((k) => k.id === created.body.id)!;
    assert.deepEqual(
      { name: item.name, prefix: item.prefix, lastUsedAt: item.lastUsedAt, revokedAt: item.revokedAt },
      { name: 'till 2', prefix: key.slice(0, 10), lastUsedAt: null, revokedAt: null },
    );

    const before = Date.now();
    assert.equal((await r.api.as(key).get(`/v1/users/${r.id}`)).status, 200);
    const used = ((await r.api.get('/v1/api-keys')).body.items as Array<Record<string, unknown>>).find(
      (k) => k.id === created.body.id,
    )!;
    assert.ok(Date.parse(used.lastUsedAt as string) >= before - 1000, JSON.stringify(used));
  });

  test('a revoked key is 401 at once; revoking twice is harmless', async () => {
    const r = await addUser(dist.api, 'retailer');
    const second = await r.api.post('/v1/api-keys', { name: 'spare' }, false);
    const spare = r.api.as(second.body.key as string);
    assert.equal((await spare.get(`/v1/wallets/${r.id}`)).status, 200);
    assert.equal((await r.api.call('DELETE', `/v1/api-keys/${second.body.id as string}`)).status, 204);
    expectError(await spare.get(`/v1/wallets/${r.id}`), 401, 'UNAUTHENTICATED');
    expectError(await spare.post('/v1/topups', { method: 'gateway', amount: 100 }), 401, 'UNAUTHENTICATED');
    assert.equal((await r.api.call('DELETE', `/v1/api-keys/${second.body.id as string}`)).status, 204);
    assert.equal((await r.api.get(`/v1/wallets/${r.id}`)).status, 200, 'the other key still works');

    // An upline revokes its retailer's key, including the one the retailer is using.
    const listed = (await dist.api.get(`/v1/api-keys?userId=${r.id}`)).body.items as Array<Record<string, unknown>>;
    assert.equal(listed.length, 2);
    assert.ok(listed.find((k) => k.id === second.body.id)!.revokedAt);
    const live = listed.find((k) => k.revokedAt === null)!;
    assert.equal((await dist.api.call('DELETE', `/v1/api-keys/${live.id as string}`)).status, 204);
    expectError(await r.api.get(`/v1/wallets/${r.id}`), 401, 'UNAUTHENTICATED');
  });

  test('who may create keys for whom: 201 self and downline, 403 support, 404 out of scope', async () => {
    assert.equal((await ret.api.post('/v1/api-keys', { name: 'self' }, false)).status, 201);
    assert.equal((await support.api.post('/v1/api-keys', { name: 'self' }, false)).status, 201);
    assert.equal((await md.api.post('/v1/api-keys', { userId: ret.id, name: 'for ret' }, false)).status, 201);
    const count = async () => Number((await db('api_keys').count('* as n'))[0]!.n);
    const n = await count();
    expectError(await support.api.post('/v1/api-keys', { userId: ret.id, name: 'x' }, false), 403, 'FORBIDDEN');
    for (const [who, userId] of [
      [ret, ret2.id],
      [ret, dist.id],
      [dist, md.id],
      [dist2, ret.id],
      [dist, ghostId('usr')],
    ] as const) {
      expectError(await who.api.post('/v1/api-keys', { userId, name: 'x' }, false), 404, 'NOT_FOUND');
    }
    expectError(await ret.api.post('/v1/api-keys', { name: '' }, false), 400, 'VALIDATION_FAILED');
    expectError(await ret.api.post('/v1/api-keys', { name: 'x'.repeat(101) }, false), 400, 'VALIDATION_FAILED');
    expectError(await ret.api.post('/v1/api-keys', { name: 'x', userId: 'no way' }, false), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).post('/v1/api-keys', { name: 'x' }, false), 401, 'UNAUTHENTICATED');
    assert.equal(await count(), n, 'no failed request made a key');
  });

  test('listing and revoking keys out of scope is 404; revoking a missing key is 404', async () => {
    const k = await ret3.api.post('/v1/api-keys', { name: 'victim' }, false);
    for (const who of [dist, ret, md, support]) {
      expectError(await who.api.call('DELETE', `/v1/api-keys/${k.body.id as string}`), 404, 'NOT_FOUND');
    }
    for (const who of [dist, ret, md]) {
      expectError(await who.api.get(`/v1/api-keys?userId=${ret3.id}`), 404, 'NOT_FOUND');
    }
    assert.equal((await support.api.get(`/v1/api-keys?userId=${ret3.id}`)).status, 200, 'support reads');
    assert.equal((await ret3.api.as(k.body.key as string).get(`/v1/users/${ret3.id}`)).status, 200, 'still valid');
    expectError(await admin.call('DELETE', `/v1/api-keys/${ghostId('key')}`), 404, 'NOT_FOUND');
    expectError(await admin.call('DELETE', '/v1/api-keys/bad%20id'), 400, 'VALIDATION_FAILED');
    expectError(await admin.get('/v1/api-keys?userId=bad%20id'), 400, 'VALIDATION_FAILED');
    expectError(await new ApiClient(stack.api.url).get('/v1/api-keys'), 401, 'UNAUTHENTICATED');
    expectError(
      await new ApiClient(stack.api.url).call('DELETE', `/v1/api-keys/${k.body.id as string}`),
      401,
      'UNAUTHENTICATED',
    );
  });
});
