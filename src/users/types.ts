export const roles = ['admin', 'master_distributor', 'distributor', 'retailer', 'support'] as const;
export type Role = (typeof roles)[number];
/** pending_review: a sanctions hit (src/compliance) awaits an admin; signs in, moves no money. */
export type UserStatus = 'active' | 'suspended' | 'pending_review';
export type KycTier = 'none' | 'min' | 'full';

export interface User {
  id: string;
  role: Role;
  name: string;
  /** The sign-in mobile; only an admin may have none (the bootstrap admin until one is set). */
  mobile: string | null;
  email: string | null;
  parentId: string | null;
  /** Ids from the root down to this user, joined by '/'. */
  path: string;
  status: UserStatus;
  kycTier: KycTier;
  createdAt: Date;
  updatedAt: Date;
}

/** Who is calling: the authenticated user behind an API key or session. */
export type Caller = Pick<User, 'id' | 'role' | 'path' | 'status' | 'parentId'> & {
  /** Money movement frozen after repeated wrong mPINs (src/auth/mpin.ts), until an upline unlocks it. */
  frozen?: boolean;
};
