import type { ProviderExchange, RechargeProvider } from '../providers/recharge/types';

/** The provider layer as the recharge activities need it (routing, breaker, raw exchanges). */
export interface RechargeProviders {
  /** Providers for the operator in routing order, enabled and allowed by their circuit breaker. */
  candidates(operator: string, exclude: string[]): Promise<RechargeProvider[]>;
  get(name: string): Promise<RechargeProvider | undefined>;
  recordOutcome(provider: string, outcome: 'ok' | 'failure'): Promise<void>;
  recordExchange(rechargeId: string, exchange: ProviderExchange): Promise<void>;
  /** Notes that a submission is about to be sent (before it leaves this process). */
  markSubmitting(rechargeId: string, provider: string): Promise<void>;
  /** Whether this provider may already hold this recharge (so ask its status before resubmitting). */
  wasSubmitted(rechargeId: string, provider: string): Promise<boolean>;
}
