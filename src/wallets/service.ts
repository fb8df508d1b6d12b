import { createHash } from 'node:crypto';
import type { Db } from '../db/knex';
import { AppError, notFound } from '../errors';
import { assertKycAllowsSpend } from '../kyc/spend-guard';
import { walletAccountId, type Ledger, type StatementItem, type StatementQuery } from '../ledger';
import { isBelow } from '../users/hierarchy';
import type { RiskEngine } from '../risk/service';
import { findUser } from '../users/store';
import type { Caller, User } from '../users/types';
import type { UserService } from '../users/service';
import { creditCollectingDues, duesOutstanding } from './dues';

export interface WalletView {
  userId: string;
  currency: 'INR';
  balance: bigint;
  held: bigint;
  available: bigint;
  /** Owed to the platform (commissions clawed back after they were spent): taken from the next credits. */
  dues: bigint;
}

export interface TransferRequest {
  fromUserId: string;
  toUserId: string;
  amount: bigint;
  note?: string;
}

export interface DownlineTransfer {
  id: string;
  status: 'completed';
  direction: 'down' | 'up';
  fromUserId: string;
  toUserId: string;
  amount: bigint;
  note: string | null;
  createdAt: Date;
}

/** Ledger ids allow a narrow alphabet; idempotency keys are any printable text. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

function assertActive(u: User, side: string): void {
  if (u.status !== 'active') throw new AppError('USER_SUSPENDED', `The ${side} user is suspended`);
  if (u.role === 'support') throw new AppError('VALIDATION_FAILED', `A support user has no wallet (${side})`);
}

export class WalletService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly users: UserService,
    private readonly risk: Pick<RiskEngine, 'assertAllowed'>,
  ) {}

  async wallet(caller: Caller, userId: string): Promise<WalletView> {
    const user = await this.users.visible(caller, userId);
    if (user.role === 'support') throw notFound('Wallet');
    const [b, dues] = await Promise.all([
      this.ledger.balance(walletAccountId(user.id)),
      duesOutstanding(this.ledger, user.id),
    ]);
    return { userId: user.id, currency: 'INR', balance: b.posted, held: b.held, available: b.available, dues };
  }

  async statement(caller: Caller, userId: string, q: StatementQuery) {
    const user = await this.users.visible(caller, userId);
    if (user.role === 'support') throw notFound('Wallet');
    return this.ledger.statement(walletAccountId(user.id), q);
  }

  /**
   * Every entry of the statement's range from `q.cursor` on, page after page (the scope is
   * checked before the first): for a CSV of any length in constant memory.
   */
  async *statementItems(caller: Caller, userId: string, q: StatementQuery): AsyncGenerator<StatementItem> {
    let page = await this.statement(caller, userId, { ...q, limit: 1000 });
    for (;;) {
      yield* page.items;
      if (!page.nextCursor) return;
      page = await this.ledger.statement(walletAccountId(userId), { ...q, cursor: page.nextCursor, limit: 1000 });
    }
  }

  /**
   * Credit down from an upline's own wallet to anyone below it, or pull back up from a user to
   * its upline (admin, or the direct upline pulling to itself). One atomic ledger transfer whose
   * id derives from the caller's Idempotency-Key, so a retried request can never move money twice.
   */
  async transfer(caller: Caller, req: TransferRequest, idempotencyKey: string): Promise<DownlineTransfer> {
    if (caller.role === 'support') throw new AppError('FORBIDDEN', 'Support users cannot move money');
    if (req.fromUserId === req.toUserId) {
      throw new AppError('VALIDATION_FAILED', 'fromUserId and toUserId must differ', {
        fields: [{ path: 'body.toUserId', message: 'must differ from fromUserId' }],
      });
    }
    const [from, to] = await Promise.all([
      this.users.visible(caller, req.fromUserId),
      this.users.visible(caller, req.toUserId),
    ]);
    let direction: 'down' | 'up';
    if (isBelow(from.path, to.path)) {
      direction = 'down';
      if (caller.role !== 'admin' && caller.id !== from.id) {
        throw new AppError('FORBIDDEN', 'Money is credited down only from your own wallet');
      }
    } else if (isBelow(to.path, from.path)) {
      direction = 'up';
      const directUpline = from.parentId === caller.id && to.id === caller.id;
      if (caller.role !== 'admin' && !directUpline) {
        throw new AppError('FORBIDDEN', 'Only an admin or the direct upline can pull money back up');
      }
    } else {
      throw new AppError('FORBIDDEN', 'Transfers are only between a user and its downline');
    }
    // The caller's own status matters too: a suspended distributor moves nothing.
    const me = await findUser(this.db, caller.id);
    if (!me || me.status !== 'active') throw new AppError('USER_SUSPENDED', 'This user is suspended');
    assertActive(from, 'sending');
    assertActive(to, 'receiving');
    // Crediting down spends the sender's balance; pulling back up is the upline's recovery of
    // funds, which a pending re-KYC of the downline must not trap.
    if (direction === 'down') await assertKycAllowsSpend(this.db, from.id);
    const id = `xfer:${caller.id}:${keyDigest(idempotencyKey)}`;
    // The risk is the wallet the money leaves: the sender's, or the downline's pulled from.
    await this.risk.assertAllowed({
      kind: direction === 'down' ? 'transfer' : 'pull_back',
      subjectId: id,
      userId: from.id,
      role: from.role,
      amount: req.amount,
    });

    const t = await creditCollectingDues(this.ledger, {
      id,
      debitAccountId: walletAccountId(from.id),
      creditAccountId: walletAccountId(to.id),
      amount: req.amount,
      kind: direction === 'down' ? 'downline_credit' : 'upline_pull',
      reference: `transfer:${from.id}:${to.id}`,
      metadata: { by: caller.id, ...(req.note ? { note: req.note } : {}) },
    });
    return {
      id: t.id,
      status: 'completed',
      direction,
      fromUserId: from.id,
      toUserId: to.id,
      amount: t.amount,
      note: req.note ?? null,
      createdAt: t.createdAt,
    };
  }
}
