import type { AccountInput } from './types';

/** Ids of accounts and transfers: caller-derived, e.g. 'wallet:<userId>', 'recharge:<id>:hold'. */
export const ID_PATTERN = /^[A-Za-z0-9:_.-]{1,160}$/;
/** Account and transfer kinds (codes). */
export const KIND_PATTERN = /^[A-Za-z0-9:_.-]{1,64}$/;

export const systemAccounts = Object.freeze({
  /** Bank/gateway money in (an asset: debit-normal). */
  platformFloat: 'system:platform_float',
  /** Commissions paid to retailers/distributors (an expense: debit-normal). */
  commissionExpense: 'system:commission_expense',
  /** TDS withheld, owed to the tax authority (a liability: credit-normal). */
  tdsPayable: 'system:tds_payable',
  /** Platform revenue (credit-normal). */
  revenue: 'system:revenue',
});

/** Money owed to / prepaid at a recharge provider (credit-normal). */
export function providerSettlementAccount(provider: string): string {
  return `system:provider_settlement:${provider}`;
}

/** A user's wallet account id. */
export function walletAccountId(userId: string): string {
  return `wallet:${userId}`;
}

/** Input for a wallet: credit-normal, never negative, optional KYC cap. */
export function walletAccount(userId: string, opts: { cap?: bigint | null; owner?: string } = {}): AccountInput {
  return {
    id: walletAccountId(userId),
    kind: 'wallet',
    owner: opts.owner ?? userId,
    normalSide: 'credit',
    flags: { debitsMustNotExceedCredits: true },
    cap: opts.cap ?? null,
  };
}

/** A user's dues account id: what the user owes the platform and could not pay when it fell due. */
export function duesAccountId(userId: string): string {
  return `dues:${userId}`;
}

/**
 * Input for a dues account: debit-normal (its balance is the amount owed), and it may never be
 * credited beyond its debits (a collection never exceeds what is owed). Idempotent to create, so
 * it may be created lazily, e.g. right before the first due is recorded.
 */
export function duesAccount(userId: string, opts: { owner?: string } = {}): AccountInput {
  return {
    id: duesAccountId(userId),
    kind: 'dues',
    owner: opts.owner ?? userId,
    normalSide: 'debit',
    flags: { creditsMustNotExceedDebits: true },
  };
}

export function systemAccountInputs(providers: readonly string[] = []): AccountInput[] {
  return [
    { id: systemAccounts.platformFloat, kind: 'platform_float', owner: 'system', normalSide: 'debit' },
    { id: systemAccounts.commissionExpense, kind: 'commission_expense', owner: 'system', normalSide: 'debit' },
    { id: systemAccounts.tdsPayable, kind: 'tds_payable', owner: 'system', normalSide: 'credit' },
    { id: systemAccounts.revenue, kind: 'revenue', owner: 'system', normalSide: 'credit' },
    ...providers.map((p): AccountInput => ({
      id: providerSettlementAccount(p),
      kind: 'provider_settlement',
      owner: `provider:${p}`,
      normalSide: 'credit',
    })),
  ];
}
