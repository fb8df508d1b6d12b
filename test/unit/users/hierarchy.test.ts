import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canManage, canRead, isBelow, isInSubtree, mayHaveChild } from '../../../src/users/hierarchy';
import { roles, type Caller, type Role } from '../../../src/users/types';

const caller = (role: Role, path: string): Caller => ({
  id: path.split('/').pop()!,
  role,
  path,
  status: 'active',
  parentId: null,
});

describe('which roles sit below which', () => {
  const allowed: Record<Role, Role[]> = {
    admin: ['master_distributor', 'distributor', 'retailer', 'support'],
    master_distributor: ['distributor', 'retailer'],
    distributor: ['retailer'],
    retailer: [],
    support: [],
  };
  for (const parent of roles) {
    for (const child of roles) {
      const expected = allowed[parent].includes(child);
      test(`${child} below ${parent}: ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(mayHaveChild(parent, child), expected);
      });
    }
  }
});

describe('subtree tests on materialized paths', () => {
  test('a user is in its own subtree but not below itself', () => {
    assert.equal(isInSubtree('a/b', 'a/b'), true);
    assert.equal(isBelow('a/b', 'a/b'), false);
  });
  test('children and grandchildren are below', () => {
    assert.equal(isBelow('a/b', 'a/b/c'), true);
    assert.equal(isBelow('a/b', 'a/b/c/d'), true);
    assert.equal(isInSubtree('a/b', 'a/b/c/d'), true);
  });
  test('an id that merely starts with the ancestor id is not below it', () => {
    assert.equal(isBelow('a/usr_b', 'a/usr_bc'), false);
    assert.equal(isInSubtree('a/usr_b', 'a/usr_bc/d'), false);
  });
  test('uplines and siblings are not below', () => {
    assert.equal(isBelow('a/b/c', 'a/b'), false);
    assert.equal(isInSubtree('a/b/c', 'a/b'), false);
    assert.equal(isInSubtree('a/b', 'a/c'), false);
  });
});

describe('read and manage scope', () => {
  const tree = {
    admin: 'adm',
    md: 'adm/md',
    dist: 'adm/md/d',
    ret: 'adm/md/d/r',
    otherDist: 'adm/d2',
    otherRet: 'adm/d2/r2',
    support: 'adm/s',
  };
  const target = (path: string) => ({ path });

  test('admin and support read everyone', () => {
    for (const p of Object.values(tree)) {
      assert.equal(canRead(caller('admin', tree.admin), target(p)), true);
      assert.equal(canRead(caller('support', tree.support), target(p)), true);
    }
  });

  test('others read themselves and their downline only', () => {
    const md = caller('master_distributor', tree.md);
    assert.deepEqual(
      Object.entries(tree)
        .filter(([, p]) => canRead(md, target(p)))
        .map(([k]) => k),
      ['md', 'dist', 'ret'],
    );
    const ret = caller('retailer', tree.ret);
    assert.deepEqual(
      Object.entries(tree)
        .filter(([, p]) => canRead(ret, target(p)))
        .map(([k]) => k),
      ['ret'],
    );
    assert.equal(canRead(caller('distributor', tree.dist), target(tree.otherRet)), false);
  });

  test('managing needs an upline or an admin; support and retailers manage nobody', () => {
    assert.equal(canManage(caller('admin', tree.admin), target(tree.ret)), true);
    assert.equal(canManage(caller('master_distributor', tree.md), target(tree.ret)), true);
    assert.equal(canManage(caller('distributor', tree.dist), target(tree.ret)), true);
    assert.equal(canManage(caller('distributor', tree.dist), target(tree.dist)), false, 'not itself');
    assert.equal(canManage(caller('distributor', tree.dist), target(tree.md)), false, 'not its upline');
    assert.equal(canManage(caller('distributor', tree.dist), target(tree.otherRet)), false, 'not another tree');
    assert.equal(canManage(caller('retailer', tree.ret), target(tree.ret)), false);
    assert.equal(canManage(caller('support', tree.support), target(tree.ret)), false);
  });
});
