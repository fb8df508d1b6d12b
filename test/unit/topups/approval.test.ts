import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { approvalSource, assertMayDecide, assertStuck, type ApprovalParties } from '../../../src/topups/approval';
import type { User } from '../../../src/users/types';

type Person = Pick<User, 'id' | 'role' | 'status' | 'parentId'>;
const admin: Person = { id: 'usr_admin', role: 'admin', status: 'active', parentId: null };
const dist: Person = { id: 'usr_dist', role: 'distributor', status: 'active', parentId: admin.id };
const ret: Person = { id: 'usr_ret', role: 'retailer', status: 'active', parentId: dist.id };
const support: Person = { id: 'usr_support', role: 'support', status: 'active', parentId: admin.id };
const otherAdmin: Person = { id: 'usr_admin2', role: 'admin', status: 'active', parentId: null };

const refusal = (code: string) => (err: unknown) => (err as { code?: string }).code === code;
const parties = (requester: Person, approver: Person, addressee: ApprovalParties['addressee']) => ({
  requester,
  approver,
  addressee,
});

describe('approval funding: who pays, for every route', () => {
  test('a decision: the direct upline pays from its wallet, an admin from the float', () => {
    assert.deepEqual(approvalSource(parties(ret, dist, dist), 'decision'), { userId: dist.id });
    assert.equal(approvalSource(parties(ret, admin, dist), 'decision'), 'platform');
    assert.equal(approvalSource(parties(dist, admin, admin), 'decision'), 'platform');
  });

  test('operations pay with the money of whom the request is addressed to; the float only for the admin', () => {
    for (const operator of [support, admin]) {
      assert.deepEqual(approvalSource(parties(ret, operator, dist), 'operations'), { userId: dist.id });
      assert.equal(approvalSource(parties(dist, operator, admin), 'operations'), 'platform');
    }
  });

  test('nobody approves their own request, by any route', () => {
    for (const via of ['decision', 'operations'] as const) {
      assert.throws(() => approvalSource(parties(admin, admin, null), via), refusal('FORBIDDEN'));
      assert.throws(() => approvalSource(parties(dist, dist, admin), via), refusal('FORBIDDEN'));
    }
    assert.throws(() => assertMayDecide({ requester: dist, approver: dist }), refusal('FORBIDDEN'));
    // An admin's own request has nobody above it for operations to act for; another admin decides it.
    assert.throws(() => approvalSource(parties(admin, support, null), 'operations'), refusal('FORBIDDEN'));
    assert.equal(approvalSource(parties(admin, otherAdmin, null), 'decision'), 'platform');
  });

  test('support never decides; operations are for support and admins; the addressee must be the direct upline', () => {
    assert.throws(() => approvalSource(parties(ret, support, dist), 'decision'), refusal('FORBIDDEN'));
    assert.throws(() => assertMayDecide({ requester: ret, approver: support }), refusal('FORBIDDEN'));
    assert.throws(() => approvalSource(parties(ret, dist, dist), 'operations'), refusal('FORBIDDEN'));
    // Not the requester's upline: the request is not addressed to it.
    assert.throws(() => approvalSource(parties(ret, support, admin), 'operations'), refusal('FORBIDDEN'));
    assert.throws(
      () => assertMayDecide({ requester: ret, approver: { id: 'usr_md', role: 'master_distributor' } }),
      refusal('FORBIDDEN'),
    );
  });

  test('a suspended addressee pays for nothing', () => {
    assert.throws(
      () => approvalSource(parties(ret, support, { ...dist, status: 'suspended' }), 'operations'),
      refusal('USER_SUSPENDED'),
    );
  });
});

describe('stuck threshold', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  test('operations approve only once the request has waited the threshold', () => {
    assert.throws(() => assertStuck(new Date(now.getTime() - 86_399_000), now, 86_400), refusal('CONFLICT'));
    assert.throws(() => assertStuck(now, now, 86_400), refusal('CONFLICT'));
    assert.doesNotThrow(() => assertStuck(new Date(now.getTime() - 86_400_000), now, 86_400));
  });
});
