import type { AccountInput } from '../ledger';

/** In flight between a wallet's hold and the provider that fulfils it (credit-normal). */
export const RECHARGE_CLEARING_ACCOUNT = 'system:recharge_clearing';
export const rechargeClearingAccount: AccountInput = {
  id: RECHARGE_CLEARING_ACCOUNT,
  kind: 'recharge_clearing',
  owner: 'system',
  normalSide: 'credit',
};
