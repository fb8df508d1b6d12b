import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/db/knex';
import { ApiClient, adminKey, uniqueMobile } from '../support/api';
import { signIn } from '../support/auth';
import { separateDatabase } from '../support/db';
import { addUser, balanceOf, expectError, fund, utr, type Member } from '../support/people';
import { startStack, type TestStack } from '../support/stack';

// Sanctions screening over HTTP: a hit at creation puts the user in pending_review (signs in,
// moves no money) until an admin clears it with a note; a reload that newly names an existing
// user freezes it the same way, and one an admin already cleared stays cleared. Its own database,
// as a reload screens every user there is and replaces the list for everyone.

const header = 'list,name,aliases,country,listed_on\n';
const v1 = `${header}TEST-OFAC,Zorvath Imbrecke,"Zorvat Imbreke",XX,2019-04-02\nTEST-UN,Élodie Varnesque-Thibaud,,XX,\n`;
const v2 = `${v1}TEST-RBI,Quillon Dervashi Marrok,,IN,2026-11-01\n`;

let stack: TestStack;
let own: Awaited<ReturnType<typeof separateDatabase>>;
let db: Db;
let admin: ApiClient;
let dir: string;
let listFile: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tijori-watchlist-'));
  listFile = path.join(dir, 'watchlist.csv');
  fs.writeFileSync(listFile, v1);
  own = await separateDatabase();
  db = own.db;
  stack = await startStack({ env: { DATABASE_URL: own.url, DATABASE_READ_URL: own.url, WATCHLIST_FILE: listFile } });
  admin = new ApiClient(stack.api.url, await adminKey(db));
});
after(async () => {
  await stack.stop();
  await own.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function create(by: ApiClient, role: string, name: string, parentId?: string) {
  const mobile = uniqueMobile();
  const r = await by.post('/v1/users', { role, name, mobile, parentId }, false);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const key = await admin.post('/v1/api-keys', { userId: r.body.id, name: 'test' }, false);
  assert.equal(key.status, 201, JSON.stringify(key.body));
  return {
    id: r.body.id as string,
    status: r.body.status as string,
    mobile,
    role,
    key: key.body.key as string,
    api: admin.as(key.body.key as string),
  };
}

interface Hit {
  id: string;
  userId: string;
  list: string;
  entryName: string;
  matched: string;
  score: number;
  status: string;
  note: string | null;
  clearedBy: string | null;
}

async function hitsOf(userId: string): Promise<Hit[]> {
  const r = await admin.get<{ items: Hit[] }>(`/v1/compliance/sanctions-hits?userId=${userId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

const recharge = (api: ApiClient) =>
  api.post('/v1/recharges', { operator: 'JIO', subscriber: '9812345678', amount: 100_00 });

let cleared: Awaited<ReturnType<typeof create>>;

test('a name on the list at creation: pending_review, signs in, moves no money', async () => {
  const dist = await addUser(admin, 'distributor');
  await fund(admin, dist, 5_000_00);
  // Word order, case, spacing and diacritics differ from the list's "Zorvath Imbrecke".
  const hit = await create(dist.api, 'retailer', '  IMBRECKE,  Zörvath ');
  assert.equal(hit.status, 'pending_review');
  const clean = await create(dist.api, 'retailer', 'Zorvath Sharma');
  assert.equal(clean.status, 'active');
  const shown = await admin.get(`/v1/users/${hit.id}`);
  assert.equal(shown.body.status, 'pending_review');

  const hits = await hitsOf(hit.id);
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.list, 'TEST-OFAC');
  assert.equal(hits[0]!.entryName, 'Zorvath Imbrecke');
  assert.equal(hits[0]!.status, 'open');
  assert.equal(hits[0]!.score, 1);
  assert.deepEqual(await hitsOf(clean.id), []);
  const recorded = await admin.get<{ items: Array<{ actorId: string; details: { at?: string } }> }>(
    `/v1/audit?subjectId=${hit.id}&type=compliance.sanctions_hit`,
  );
  assert.equal(recorded.body.items.length, 1);
  assert.equal(recorded.body.items[0]!.actorId, dist.id);
  assert.equal(recorded.body.items[0]!.details.at, 'creation');

  // Signs in by OTP and reads.
  const tokens = await signIn(new ApiClient(stack.api.url), stack.sims.urls.sms, hit.mobile);
  const session = new ApiClient(stack.api.url, tokens.accessToken);
  const me = await session.get(`/v1/users/${hit.id}`);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(await balanceOf(session, hit.id), 0);

  // Moves no money, as itself or as the receiving side.
  for (const api of [hit.api, session]) {
    expectError(
      await api.post('/v1/topups', { method: 'bank_transfer', amount: 100_00, utr: utr() }),
      422,
      'USER_SUSPENDED',
    );
    expectError(await recharge(api), 422, 'USER_SUSPENDED');
  }
  expectError(
    await dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: hit.id, amount: 100_00 }),
    422,
    'USER_SUSPENDED',
  );
  assert.equal(await balanceOf(admin, hit.id), 0);
  assert.equal(await balanceOf(admin, dist.id), 5_000_00);
  cleared = hit;
});

test('only an admin clears a review, with a note; activate does not bypass it', async () => {
  const hit = cleared;
  const dist = (await admin.get(`/v1/users/${hit.id}`)).body.parentId as string;
  const distKey = await admin.post('/v1/api-keys', { userId: dist, name: 'test' }, false);
  const upline = admin.as(distKey.body.key as string);

  expectError(await upline.post(`/v1/users/${hit.id}/activate`, {}, false), 409, 'CONFLICT');
  expectError(await admin.post(`/v1/users/${hit.id}/activate`, {}, false), 409, 'CONFLICT');
  expectError(
    await upline.post(`/v1/users/${hit.id}/clear-review`, { note: 'known customer' }, false),
    403,
    'FORBIDDEN',
  );
  expectError(await admin.post(`/v1/users/${hit.id}/clear-review`, {}, false), 400, 'VALIDATION_FAILED');
  expectError(await admin.post(`/v1/users/${hit.id}/clear-review`, { note: '   ' }, false), 400, 'VALIDATION_FAILED');
  expectError(
    await admin.post(`/v1/users/${hit.id}/clear-review`, { note: 'x'.repeat(501) }, false),
    400,
    'VALIDATION_FAILED',
  );
  expectError(
    await admin.post('/v1/users/usr_00000000000000000000/clear-review', { note: 'n' }, false),
    404,
    'NOT_FOUND',
  );
  assert.equal((await admin.get(`/v1/users/${hit.id}`)).body.status, 'pending_review');

  const ok = await admin.post(
    `/v1/users/${hit.id}/clear-review`,
    { note: 'Different person: DOB and PAN checked' },
    false,
  );
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.status, 'active');
  const [h] = await hitsOf(hit.id);
  assert.equal(h!.status, 'cleared');
  assert.equal(h!.note, 'Different person: DOB and PAN checked');
  assert.ok(h!.clearedBy);

  const audit = await admin.get<{ items: Array<{ type: string; actorId: string; details: { note?: string } }> }>(
    `/v1/audit?subjectId=${hit.id}&type=user.review_cleared`,
  );
  assert.equal(audit.body.items.length, 1);
  assert.equal(audit.body.items[0]!.details.note, 'Different person: DOB and PAN checked');
  assert.equal(audit.body.items[0]!.actorId, h!.clearedBy);

  // Money moves again; a second clear has nothing to clear.
  const t = await hit.api.post('/v1/topups', { method: 'bank_transfer', amount: 100_00, utr: utr() });
  assert.equal(t.status, 202, JSON.stringify(t.body));
  expectError(await admin.post(`/v1/users/${hit.id}/clear-review`, { note: 'again' }, false), 409, 'CONFLICT');
});

test('a reload that newly names an existing user freezes it; a cleared hit stays cleared', async () => {
  const dist: Member = await addUser(admin, 'distributor');
  await fund(admin, dist, 5_000_00);
  const target = await create(dist.api, 'retailer', 'Marrok Quillon Dervashi');
  assert.equal(target.status, 'active');
  const t = await dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: target.id, amount: 1_000_00 });
  assert.equal(t.status, 201, JSON.stringify(t.body));

  const support = await addUser(admin, 'support');
  expectError(await support.api.post('/v1/compliance/watchlist/reload', {}, false), 403, 'FORBIDDEN');
  expectError(await dist.api.post('/v1/compliance/watchlist/reload', {}, false), 403, 'FORBIDDEN');

  // A file with a bad line changes nothing.
  fs.writeFileSync(listFile, `${v2}TEST-RBI,,,,\n`);
  expectError(await admin.post('/v1/compliance/watchlist/reload', {}, false), 409, 'CONFLICT');
  assert.equal((await admin.get(`/v1/users/${target.id}`)).body.status, 'active');

  fs.writeFileSync(listFile, v2);
  const reload = await admin.post<{
    entries: number;
    screened: number;
    newHits: number;
    frozen: string[];
    loadId: string;
  }>('/v1/compliance/watchlist/reload', {}, false);
  assert.equal(reload.status, 200, JSON.stringify(reload.body));
  assert.equal(reload.body.entries, 3);
  assert.deepEqual(reload.body.frozen, [target.id]);
  assert.equal(reload.body.newHits, 1);
  const users = (await db('users').count<{ count: string }[]>('* as count'))[0]!.count;
  assert.equal(reload.body.screened, Number(users));

  assert.equal((await admin.get(`/v1/users/${target.id}`)).body.status, 'pending_review');
  const [h] = await hitsOf(target.id);
  assert.equal(h!.entryName, 'Quillon Dervashi Marrok');
  assert.equal(h!.status, 'open');
  // The user cleared before is not frozen again by the same entry.
  assert.equal((await admin.get(`/v1/users/${cleared.id}`)).body.status, 'active');

  // Frozen: no recharge, no top-up, nothing in or out; its balance stays; it still signs in.
  expectError(await recharge(target.api), 422, 'USER_SUSPENDED');
  expectError(
    await target.api.post('/v1/topups', { method: 'bank_transfer', amount: 100_00, utr: utr() }),
    422,
    'USER_SUSPENDED',
  );
  expectError(
    await dist.api.post('/v1/transfers', { fromUserId: dist.id, toUserId: target.id, amount: 100_00 }),
    422,
    'USER_SUSPENDED',
  );
  expectError(
    await dist.api.post('/v1/transfers', { fromUserId: target.id, toUserId: dist.id, amount: 100_00 }),
    422,
    'USER_SUSPENDED',
  );
  assert.equal(await balanceOf(admin, target.id), 1_000_00);
  const tokens = await signIn(new ApiClient(stack.api.url), stack.sims.urls.sms, target.mobile);
  assert.ok(tokens.accessToken);

  const audit = await admin.get<{ items: Array<{ details: { frozen?: number } }> }>(
    `/v1/audit?subjectId=${reload.body.loadId}&type=compliance.watchlist_reloaded`,
  );
  assert.equal(audit.body.items.length, 1);
  assert.equal(audit.body.items[0]!.details.frozen, 1);

  // The same list again finds nothing new.
  const again = await admin.post<{ newHits: number; frozen: string[] }>('/v1/compliance/watchlist/reload', {}, false);
  assert.equal(again.status, 200);
  assert.equal(again.body.newHits, 0);
  assert.deepEqual(again.body.frozen, []);
});

function ops(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main-ops.ts'), ...args], {
    cwd: root,
    env: { ...stack.env, LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('the ops CLI reloads too, as an admin only', { timeout: 60_000 }, async () => {
  const target = await create(admin, 'distributor', 'Oskander Vyrtmann');
  assert.equal(target.status, 'active');
  fs.writeFileSync(listFile, `${v2}TEST-UN,Oskandar Vyrtmann,,XX,\n`);
  const support = await addUser(admin, 'support');
  const refused = await ops('watchlist', 'reload', '--as', support.id);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /FORBIDDEN/);
  assert.equal((await admin.get(`/v1/users/${target.id}`)).body.status, 'active');

  const adminId = ((await db('users').where({ role: 'admin' }).orderBy('created_at').first('id')) as { id: string }).id;
  const done = await ops('watchlist', 'reload', '--as', adminId);
  assert.equal(done.code, 0, done.stderr);
  const out = JSON.parse(done.stdout) as { entries: number; frozen: string[] };
  assert.equal(out.entries, 4);
  assert.deepEqual(out.frozen, [target.id]);
  assert.equal((await admin.get(`/v1/users/${target.id}`)).body.status, 'pending_review');
  const [h] = await hitsOf(target.id);
  assert.equal(h!.entryName, 'Oskandar Vyrtmann');
  assert.ok(h!.score >= 0.9 && h!.score < 1);
});
