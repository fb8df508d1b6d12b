import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { ExchangeStore } from '../providers/recharge/exchanges';
import { ProviderRegistry, providerEnvironment } from '../providers/recharge/registry';
import { RechargeRouter } from '../providers/recharge/routing';
import type { RechargeProvider } from '../providers/recharge/types';
import type { RechargeProviders } from '../recharges/providers-port';

/** The provider layer (definitions, routing with circuit breakers, raw exchanges) as the recharge activities use it. */
export function createRechargeProviders(db: Db, config: Config, log: Logger) {
  const registry = new ProviderRegistry(db, providerEnvironment(config.providers), { log });
  const router = new RechargeRouter(db, config.providers.rechargeBreaker);
  const exchanges = new ExchangeStore(db);
  const port: RechargeProviders & { registry: ProviderRegistry; exchanges: ExchangeStore } = {
    registry,
    exchanges,
    async candidates(operator, exclude) {
      const names = await router.candidates(operator, { exclude });
      const providers = await Promise.all(names.map((n) => registry.get(n)));
      return providers.filter((p): p is RechargeProvider => !!p && p.supports(operator));
    },
    get: (name) => registry.get(name),
    async recordOutcome(provider, outcome) {
      await router.recordOutcome(provider, outcome);
    },
    async recordExchange(rechargeId, exchange) {
      await exchanges.record(rechargeId, exchange);
    },
    async markSubmitting(rechargeId, provider) {
      // Written before the request leaves: if this process dies mid-call, whoever retries knows
      // the provider may hold the recharge and asks its status before submitting again.
      await exchanges.record(rechargeId, {
        provider,
        operation: 'submit',
        request: { method: '', url: '', headers: {}, body: null },
        response: null,
        error: 'intent: about to submit',
        durationMs: 0,
        at: new Date(),
      });
    },
    async wasSubmitted(rechargeId, provider) {
      return (await exchanges.lastSubmission(rechargeId, provider)) !== undefined;
    },
  };
  return port;
}
