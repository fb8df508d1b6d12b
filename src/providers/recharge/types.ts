/**
 * The contract between the recharge workflow's activities and recharge providers. One generic,
 * configuration-driven HTTP adapter implements it for every provider.
 */

/** What a provider said about one recharge, in our terms. */
export type ProviderResult =
  | { status: 'success'; operatorRef: string | null; providerTxnId: string | null; message: string | null }
  | { status: 'pending'; providerTxnId: string | null; message: string | null }
  /**
   * fault 'subscriber': the request itself is bad (invalid number, invalid amount): another
   * provider would fail too, so no failover. fault 'provider': the provider's own trouble
   * (operator down at its end, low balance, unsupported operator): fail over to the next one.
   */
  | { status: 'failed'; fault: 'subscriber' | 'provider'; code: string; message: string; providerTxnId: string | null }
  | { status: 'reversed'; operatorRef: string | null; providerTxnId: string | null; message: string | null }
  /** A status check found no such transaction: the provider never received it. */
  | { status: 'not_found' }
  /** No usable answer (timeout, connection lost mid-request, unparseable): never treated as a failure. */
  | { status: 'unknown'; reason: string }
  /**
   * The provider refused before processing (connection refused, HTTP 503): a submission is safe to
   * fail over. From a status check it only means the question went unanswered.
   */
  | { status: 'unavailable'; reason: string };

export interface RechargeRequest {
  /** Our recharge id: the provider's client reference, so a resubmission is recognised. */
  clientRef: string;
  /** Our operator code (JIO, AIRTEL, VI, BSNL, TATAPLAY, AIRTELDTH, DISHTV, D2H, SUNDIRECT). */
  operator: string;
  subscriber: string;
  amount: bigint;
  circle?: string;
}

/** One raw request/response with a provider, credentials masked, kept for support. */
export interface ProviderExchange {
  provider: string;
  operation: 'submit' | 'status' | 'callback';
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; body: string } | null;
  error: string | null;
  durationMs: number;
  at: Date;
}

export interface ProviderCall {
  result: ProviderResult;
  exchange: ProviderExchange;
}

export type LookupResult =
  | { status: 'found'; operator: string; circle: string | null }
  | { status: 'not_found' }
  /** No answer, an unparseable one, or an operator code we do not know. */
  | { status: 'unknown'; reason: string };

export type BalanceResult =
  | { status: 'ok'; balance: bigint; alertBelow: bigint }
  /** No answer, or one without a readable balance. */
  | { status: 'unknown'; reason: string };

export interface RechargeProvider {
  readonly name: string;
  /** Whether this provider has a code for our operator. */
  supports(operator: string): boolean;
  submit(req: RechargeRequest): Promise<ProviderCall>;
  status(clientRef: string): Promise<ProviderCall>;
  /** The operator (our code) and circle serving a number, for providers with a lookup. */
  lookup?(subscriber: string): Promise<LookupResult>;
  /** The prepaid balance held with the provider, where its definition says how to ask. */
  balance?(): Promise<BalanceResult>;
  /** Verifies and parses a callback; throws CallbackRejected when forged or malformed. */
  parseCallback(input: {
    headers: Record<string, string | string[] | undefined>;
    rawBody: Buffer;
    /** Where it was received, for the kept exchange. */
    url?: string;
  }): {
    clientRef: string;
    result: ProviderResult;
    exchange: ProviderExchange;
  };
}

export class CallbackRejected extends Error {
  override name = 'CallbackRejected';

  /** The raw callback as received, to keep like any other exchange. */
  constructor(
    message: string,
    readonly exchange: ProviderExchange,
  ) {
    super(message);
  }
}
