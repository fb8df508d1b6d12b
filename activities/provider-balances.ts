import type { Db } from '../src/db/knex';
import { checkProviderBalances, type ProviderBalance } from '../src/ops/provider-balances';
import type { RechargeProviders } from '../src/recharges/providers-port';

export interface ProviderBalanceDeps {
  db: Db;
  providers: RechargeProviders;
}

export function createProviderBalanceActivities({ db, providers }: ProviderBalanceDeps) {
  return {
    /** Providers' prepaid balances; a fall below a provider's level alerts operations once. */
    async checkProviderBalances(input: { alertEmail: string }): Promise<ProviderBalance[]> {
      return checkProviderBalances(db, providers, input.alertEmail);
    },
  };
}
