import type { Caller, Role, User } from './types';

/** Which roles may sit directly below which: Admin → Master Distributor → Distributor → Retailer. */
const childRoles: Record<Role, readonly Role[]> = {
  admin: ['master_distributor', 'distributor', 'retailer', 'support'],
  master_distributor: ['distributor', 'retailer'],
  distributor: ['retailer'],
  retailer: [],
  support: [],
};

export function mayHaveChild(parent: Role, child: Role): boolean {
  return childRoles[parent].includes(child);
}

/** True when `user` is `ancestor` itself or anywhere below it. */
export function isInSubtree(ancestorPath: string, userPath: string): boolean {
  return userPath === ancestorPath || userPath.startsWith(`${ancestorPath}/`);
}

/** True when `user` is strictly below `ancestor`. */
export function isBelow(ancestorPath: string, userPath: string): boolean {
  return userPath.startsWith(`${ancestorPath}/`);
}

/** Reads: admin and support see everyone; everyone else sees itself and its downline. */
export function canRead(caller: Caller, target: Pick<User, 'path'>): boolean {
  if (caller.role === 'admin' || caller.role === 'support') return true;
  return isInSubtree(caller.path, target.path);
}

/** Managing a user (creating below it, suspending it, keys for it): admin, or an upline of it. */
export function canManage(caller: Caller, target: Pick<User, 'path'>): boolean {
  if (caller.role === 'admin') return true;
  if (caller.role === 'support' || caller.role === 'retailer') return false;
  return isBelow(caller.path, target.path);
}
