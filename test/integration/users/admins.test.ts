import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OtpService } from '../../../src/auth/otp';
import { loadConfig } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { newId } from '../../../src/ids';
import { Ledger } from '../../../src/ledger';
import { createLogger } from '../../../src/logger';
import type { SmsSender } from '../../../src/notify/sms';
import { generateApiKey } from '../../../src/users/api-keys';
import { bootstrapAdmin } from '../../../src/users/bootstrap';
import { UserService } from '../../../src/users/service';
import type { Caller } from '../../../src/users/types';
import { uniqueMobile } from '../../support/api';
import { freshDatabase, type FreshDatabase } from '../../support/fresh-db';
import { capFor } from '../../../src/kyc/caps';

// Each test owns a whole database: the rules here are about the platform's only admins.
const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
const MADE_UP = '9999999999';

function smsSpy(): SmsSender & { sent: string[] } {
  const sent: string[] = [];
  return { sent, send: async (to) => (sent.push(to), { sid: `SM${sent.length}` }) };
}

async function challengedUser(fresh: FreshDatabase, mobile: string): Promise<{ userId: string | null; sms: string[] }> {
  const sms = smsSpy();
  const otp = new OtpService(fresh.db, config.auth, sms, createLogger('silent'));
  const { challengeId } = await otp.request(mobile);
  const row = (await fresh.db('otp_challenges').where({ id: challengeId }).first('user_id')) as {
    user_id: string | null;
  };
  await new Promise((r) => setTimeout(r, 50));
  return { userId: row.user_id, sms: sms.sent };
}

describe('the bootstrap admin has no sign-in mobile until one is set deliberately', () => {
  let fresh: FreshDatabase;
  before(async () => {
    fresh = await freshDatabase();
  });
  after(() => fresh.drop());

  test('created without a mobile: an OTP for 9999999999 reaches nobody', async () => {
    const { adminId, created } = await bootstrapAdmin(fresh.db, generateApiKey());
    assert.ok(created);
    assert.equal((await fresh.db('users').where({ id: adminId }).first('mobile')).mobile, null);
    assert.deepEqual(await challengedUser(fresh, MADE_UP), { userId: null, sms: [] });
  });

  test('TIJORI_ADMIN_MOBILE gives it one at the next bootstrap; a mobile it has is never replaced', async () => {
    const mobile = uniqueMobile();
    const { adminId, created } = await bootstrapAdmin(fresh.db, generateApiKey(), { mobile });
    assert.equal(created, false);
    assert.deepEqual(await challengedUser(fresh, mobile), { userId: adminId, sms: [`+91${mobile}`] });

    await bootstrapAdmin(fresh.db, generateApiKey(), { mobile: uniqueMobile() });
    assert.equal((await fresh.db('users').where({ id: adminId }).first('mobile')).mobile, mobile);
    assert.equal(Number((await fresh.db('users').where({ role: 'admin' }).count('* as n'))[0]!.n), 1);
  });

  test('only an admin may lack a mobile', async () => {
    const id = newId('usr');
    await assert.rejects(
      fresh.db('users').insert({ id, role: 'retailer', name: 'No mobile', mobile: null, path: id }),
      /users_mobile_required/,
    );
  });
});

test('TIJORI_ADMIN_MOBILE already taken: start-up stops naming it, and no admin is created', async () => {
  const fresh = await freshDatabase();
  try {
    const mobile = uniqueMobile();
    const id = newId('usr');
    await fresh.db('users').insert({ id, role: 'support', name: 'Taken', mobile, path: id });
    await assert.rejects(bootstrapAdmin(fresh.db, generateApiKey(), { mobile }), /TIJORI_ADMIN_MOBILE/);
    assert.equal(await fresh.db('users').where({ role: 'admin' }).first(), undefined);
  } finally {
    await fresh.drop();
  }
});

test('the migration takes 9999999999 from an existing bootstrap admin and ends what it allowed', async () => {
  const fresh = await freshDatabase({ before: '20261123110000_admin_mobile_optional.ts' });
  try {
    const db = fresh.db;
    const [admin, retailer] = [newId('usr'), newId('usr')];
    const retailerMobile = uniqueMobile();
    await db('users').insert([
      { id: admin, role: 'admin', name: 'Bootstrap admin', mobile: MADE_UP, path: admin },
      {
        id: retailer,
        role: 'retailer',
        name: 'R',
        mobile: retailerMobile,
        parent_id: admin,
        path: `${admin}/${retailer}`,
      },
    ]);
    const session = (userId: string) => ({
      id: newId('ses'),
      user_id: userId,
      expires_at: db.raw("now() + interval '1 day'"),
    });
    const [adminSession, retailerSession] = [session(admin), session(retailer)];
    await db('auth_sessions').insert([adminSession, retailerSession]);
    const challenge = {
      id: newId('otp'),
      mobile_hash: 'h',
      user_id: admin,
      otp_hash: 'x',
      expires_at: db.raw("now() + interval '5 minutes'"),
    };
    await db('otp_challenges').insert(challenge);

    await fresh.migrateLatest();

    const users = (await db('users').whereIn('id', [admin, retailer]).orderBy('role').select('id', 'mobile')) as Array<{
      id: string;
      mobile: string | null;
    }>;
    assert.deepEqual(users, [
      { id: admin, mobile: null },
      { id: retailer, mobile: retailerMobile },
    ]);
    const sessions = await db('auth_sessions').whereIn('id', [adminSession.id, retailerSession.id]).orderBy('user_id');
    const reasonOf = (id: string) => sessions.find((s: { id: string }) => s.id === id)?.revoked_reason as string | null;
    assert.equal(reasonOf(adminSession.id), 'admin', "the admin's SMS sign-in session is ended");
    assert.equal(reasonOf(retailerSession.id), null);
    assert.ok((await db('otp_challenges').where({ id: challenge.id }).first()).consumed_at instanceof Date);
  } finally {
    await fresh.drop();
  }
});

describe('suspending admins', () => {
  let fresh: FreshDatabase;
  let users: UserService;
  let ledger: Ledger;
  let first: Caller;
  let second: Caller;

  const admin = async (): Promise<Caller> => {
    const id = newId('usr');
    await fresh.db('users').insert({ id, role: 'admin', name: 'Admin', mobile: uniqueMobile(), path: id });
    return { id, role: 'admin', path: id, status: 'active', parentId: null };
  };
  const activeAdmins = async () =>
    ((await fresh.db('users').where({ role: 'admin', status: 'active' }).pluck('id')) as string[]).sort();
  const code = (r: PromiseSettledResult<unknown>) =>
    r.status === 'rejected' ? (r.reason instanceof AppError ? r.reason.code : String(r.reason)) : 'ok';

  before(async () => {
    fresh = await freshDatabase();
    ledger = new Ledger(fresh.db);
    users = new UserService(fresh.db, ledger, (role) => capFor(role, 'none', config.kyc.caps));
    first = await admin();
    second = await admin();
  });
  after(async () => {
    await ledger.close();
    await fresh.drop();
  });

  test('no admin suspends itself, even with another admin active', async () => {
    await assert.rejects(users.setStatus(first, first.id, 'suspended'), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'FORBIDDEN');
      assert.match(err.message, /itself/);
      return true;
    });
    assert.deepEqual(await activeAdmins(), [first.id, second.id].sort());
  });

  test('an admin suspends another while one stays active; the last active admin cannot be suspended', async () => {
    assert.equal((await users.setStatus(first, second.id, 'suspended')).status, 'suspended');
    // `second` acting although suspended: what a request authenticated just before looks like.
    await assert.rejects(users.setStatus(second, first.id, 'suspended'), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'CONFLICT');
      assert.match(err.message, /last active admin/);
      return true;
    });
    assert.deepEqual(await activeAdmins(), [first.id]);
    assert.equal((await users.setStatus(first, second.id, 'active')).status, 'active');
  });

  test('two admins suspending each other at once: one stays active, every time', async () => {
    for (let round = 0; round < 20; round++) {
      await fresh.db('users').whereIn('id', [first.id, second.id]).update({ status: 'active' });
      const results = await Promise.allSettled([
        users.setStatus(first, second.id, 'suspended'),
        users.setStatus(second, first.id, 'suspended'),
      ]);
      assert.deepEqual(results.map(code).sort(), ['CONFLICT', 'ok'], `round ${round}`);
      assert.equal((await activeAdmins()).length, 1, `round ${round}`);
    }
    const audits = await fresh.db('audit_events').where({ type: 'user.suspended' }).count('* as n');
    assert.equal(Number(audits[0]!.n), 21, 'one audit event per suspension that happened');
  });
});
