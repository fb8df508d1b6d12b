/**
 * Prepaid subscriber numbers with scripted behaviour (API.md "Simulator test subscribers").
 * Any other valid number succeeds at once with an operator reference.
 */
export const OPERATOR_TEST_SUBSCRIBERS = {
  /** FAILED at once with the provider's invalid-number (subscriber-side) error code. */
  invalidNumber: '9000000001',
  /** PENDING, then a SUCCESS callback after `pendingResolveMs` (~2 s). */
  pendingThenSuccess: '9000000002',
  /** PENDING, then a FAILED (operator failure) callback after `pendingResolveMs` (~2 s). */
  pendingThenFailed: '9000000003',
  /** Recorded as SUCCESS, but the first submission is answered only after `timeoutResponseMs` (20 s). */
  firstSubmissionTimesOut: '9000000004',
  /** SUCCESS, then a REVERSED callback after `reversalMs` (~3 s). */
  successThenReversal: '9000000005',
  /** The first-priority provider answers HTTP 503; every other provider succeeds. */
  primaryProviderDown: '9000000006',
  /** PENDING forever: no callback, status checks keep answering PENDING. */
  pendingForever: '9000000007',
} as const;

export type Scenario = keyof typeof OPERATOR_TEST_SUBSCRIBERS | 'success';

const bySubscriber = new Map<string, Scenario>(
  Object.entries(OPERATOR_TEST_SUBSCRIBERS).map(([scenario, subscriber]) => [subscriber, scenario as Scenario]),
);

export function scenarioFor(subscriber: string): Scenario {
  return bySubscriber.get(subscriber) ?? 'success';
}

/**
 * What the providers' operator lookup (their view of number portability) knows; every other
 * number is not found. 7000012345 is in a series two operators share; 6999000001 is in no series
 * at all (to the platform's series it looks ported).
 */
export const OPERATOR_LOOKUPS: Readonly<Record<string, { operator: string; circle: string }>> = {
  '7000012345': { operator: 'AIRTEL', circle: 'MP' },
  '6999000001': { operator: 'VI', circle: 'MH' },
};
