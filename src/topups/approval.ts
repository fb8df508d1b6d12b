import { AppError } from '../errors';
import type { Caller, User } from '../users/types';

/** Where an approved top-up's money comes from: the platform float or a user's wallet. */
export type FundingSource = 'platform' | { userId: string };

export interface ApprovalParties {
  requester: Pick<User, 'id' | 'parentId'>;
  /** The requester's direct upline, to whom the request is addressed; null above an admin. */
  addressee: Pick<User, 'id' | 'role' | 'status'> | null;
  approver: Pick<Caller, 'id' | 'role'>;
}

/**
 * Who may decide a bank-transfer request through POST /v1/topups/:id/approve|reject: the direct
 * upline it is addressed to, or an admin; never support, never the requester.
 */
export function assertMayDecide(p: Pick<ApprovalParties, 'requester' | 'approver'>): void {
  const { requester, approver } = p;
  const directUpline = requester.parentId === approver.id;
  if (approver.id === requester.id || approver.role === 'support' || !(approver.role === 'admin' || directUpline)) {
    throw new AppError('FORBIDDEN', 'Only the direct upline or an admin can decide this top-up');
  }
}

/**
 * Whose money an approval moves, for every route that approves (the one rule both the upline's
 * decision and operations go through):
 * - a decision: the direct upline pays from its own wallet; an admin from the platform float;
 * - operations (support or an admin settling a stuck request, src/ops) approve on behalf of the
 *   upline the request is addressed to, so it pays: from its wallet, or from the float only when
 *   that upline is the admin. A request with nobody above it (an admin's own) is not theirs to approve.
 * Nobody approves their own request, by any route.
 */
export function approvalSource(p: ApprovalParties, via: 'decision' | 'operations'): FundingSource {
  const { requester, addressee, approver } = p;
  if (approver.id === requester.id) {
    throw new AppError('FORBIDDEN', 'Nobody can approve their own top-up request');
  }
  if (via === 'decision') {
    assertMayDecide(p);
    return approver.role === 'admin' ? 'platform' : { userId: approver.id };
  }
  if (approver.role !== 'support' && approver.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'Only support or an admin settles top-ups from operations');
  }
  if (!addressee || addressee.id !== requester.parentId) {
    throw new AppError('FORBIDDEN', 'This request has no upline to approve it on behalf of');
  }
  if (addressee.role === 'admin') return 'platform';
  if (addressee.status !== 'active') {
    throw new AppError('USER_SUSPENDED', 'The upline this request is addressed to is suspended');
  }
  return { userId: addressee.id };
}

/** Operations step in only for a request its upline has left undecided for the stuck threshold. */
export function assertStuck(createdAt: Date, now: Date, stuckAfterSeconds: number): void {
  const ageSeconds = (now.getTime() - createdAt.getTime()) / 1000;
  if (ageSeconds < stuckAfterSeconds) {
    throw new AppError(
      'CONFLICT',
      `This request is not stuck: its upline decides it until it has waited ${stuckAfterSeconds} s (it has waited ${Math.floor(ageSeconds)} s)`,
    );
  }
}
