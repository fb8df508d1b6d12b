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
