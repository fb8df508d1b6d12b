import type { ProviderResult } from '../providers/recharge/types';
import type { RechargeProviders } from './providers-port';
import type { RechargeStore } from './store';

export interface Submission {
  rechargeId: string;
  operator: string;
  subscriber: string;
  amount: bigint;
  circle: string | null;
  /** Providers already tried (they failed for reasons of their own): never asked again. */
  exclude: string[];
}

export type SubmissionOutcome =
  /** `checked`: the answer came from a status check, because an earlier attempt may have sent it. */
  { provider: string; result: ProviderResult; checked?: true } | { provider: null; result: null };

/** The provider's own trouble, which counts against its circuit breaker. */
function providerFault(r: ProviderResult): boolean {
  return r.status === 'unavailable' || r.status === 'unknown' || (r.status === 'failed' && r.fault === 'provider');
}

/**
 * Sends the recharge to the best provider not yet tried. A provider that may already have it (an
 * earlier attempt died mid-call) is asked for its status first: our recharge id is its client
 * reference, so nothing is ever recharged twice. `alive` is called while the provider is being
 * waited on (the worker's heartbeat).
 */
export async function submitToProvider(
  providers: RechargeProviders,
  store: RechargeStore,
  s: Submission,
  alive: () => void,
): Promise<SubmissionOutcome> {
  const [provider] = await providers.candidates(s.operator, s.exclude);
  if (!provider) return { provider: null, result: null };
  const maybeSent = await providers.wasSubmitted(s.rechargeId, provider.name);
  await store.setProvider(s.rechargeId, provider.name);
  if (maybeSent) {
    const check = await provider.status(s.rechargeId);
    await providers.recordExchange(s.rechargeId, check.exchange);
    // Only a definite "never received" allows a new submission; no answer to the status question
    // (unknown, unavailable) means it may still have it: wait and ask again.
    if (check.result.status === 'unavailable') {
      return { provider: provider.name, result: { status: 'unknown', reason: check.result.reason }, checked: true };
    }
    if (check.result.status !== 'not_found') return { provider: provider.name, result: check.result, checked: true };
  }
  await providers.markSubmitting(s.rechargeId, provider.name);
  return whileAlive(alive, async () => {
    const call = await provider.submit({
      clientRef: s.rechargeId,
      operator: s.operator,
      subscriber: s.subscriber,
      amount: s.amount,
      circle: s.circle ?? undefined,
    });
    await providers.recordExchange(s.rechargeId, call.exchange);
    await providers.recordOutcome(provider.name, providerFault(call.result) ? 'failure' : 'ok');
    return { provider: provider.name, result: call.result };
  });
}

/** What the provider holding the recharge says about it now. */
export async function askProviderStatus(
  providers: RechargeProviders,
  rechargeId: string,
  providerName: string,
  alive: () => void,
): Promise<ProviderResult | undefined> {
  const provider = await providers.get(providerName);
  if (!provider) return undefined;
  return whileAlive(alive, async () => {
    const call = await provider.status(rechargeId);
    await providers.recordExchange(rechargeId, call.exchange);
    return call.result;
  });
}

/**
 * Runs a provider call saying it is alive every second (an activity's heartbeat), so a worker
 * that dies mid-call is noticed within the heartbeat timeout, not after the whole start-to-close.
 */
async function whileAlive<T>(alive: () => void, work: () => Promise<T>): Promise<T> {
  alive();
  const beat = setInterval(alive, 1000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
