import { randomInt } from 'node:crypto';
import type { Logger } from '../../../src/logger';
import { BoundedMap, Timers } from '../bounded';
import type { Delivery } from '../http';
import { deliverWithRetries } from '../webhooks';
import { isValidSubscriber, MAX_RECHARGE_PAISE, type Operator } from './operators';
import { scenarioFor } from './subscribers';

export type TxnStatus = 'SUCCESS' | 'PENDING' | 'FAILED' | 'REVERSED';

/**
 * Why a transaction failed, provider-neutral; each wire format maps these to its own codes.
 * INVALID_NUMBER and INVALID_AMOUNT are about the request (another provider would fail too);
 * the rest are the provider's own trouble.
 */
export type FailureReason =
  'INVALID_NUMBER' | 'INVALID_AMOUNT' | 'OPERATOR_NOT_SUPPORTED' | 'OPERATOR_FAILURE' | 'LOW_BALANCE';

export interface ProviderTxn {
  provider: string;
  clientRef: string;
  txnId: string;
  /** The operator code as the provider received it. */
  operatorCode: string;
  subscriber: string;
  /** Paise. */
  amount: number;
  status: TxnStatus;
  operatorRef: string | null;
  failure: FailureReason | null;
  submissions: number;
  createdAt: string;
  updatedAt: string;
  history: Array<{ at: string; status: TxnStatus }>;
  callbacks: Array<Delivery & { status: TxnStatus }>;
}

export interface SubmitRequest {
  clientRef: string;
  operatorCode: string;
  /** undefined when the provider does not know `operatorCode`. */
  operator: Operator | undefined;
  subscriber: string;
  /** Paise; undefined when the provider could not read the amount. */
  amount: number | undefined;
}

export type SubmitOutcome =
  | { kind: 'unavailable' }
  /** `holdMs` > 0: answer only after that long (the simulated timeout). */
  | { kind: 'answered'; txn: ProviderTxn; holdMs: number };

export interface CallbackMessage {
  body: string;
  contentType: string;
}

export interface ProviderWire {
  name: string;
  txnIdPrefix: string;
  /** The provider's own callback format for a transaction that just changed status. */
  callback(txn: ProviderTxn): CallbackMessage;
}

export interface EngineOptions {
  wires: ProviderWire[];
  /** The provider a real routing table tries first: it is the one that is "down" for 9000000006. */
  primaryProvider: string;
  callbackUrl(provider: string): string;
  /** The HMAC-SHA256 key each provider signs its callbacks with, by provider name: one each. */
  callbackSecrets: Readonly<Record<string, string>>;
  pendingResolveMs: number;
  reversalMs: number;
  timeoutResponseMs: number;
  /** Waits before each redelivery of a callback that was not answered 2xx. */
  callbackRetryDelaysMs: number[];
  /** Paise prepaid at each provider. */
  initialBalance: number;
  maxTransactions: number;
  log: Logger;
}

interface ProviderState {
  wire: ProviderWire;
  callbackSecret: string;
  down: boolean;
  balance: number;
}

export interface ClientRefSummary {
  clientRef: string;
  submissions: number;
  status: TxnStatus | null;
  provider: string | null;
  attempts: Array<{ provider: string; submissions: number; status: TxnStatus | null; unavailable: number }>;
}

/** The provider-neutral core: transactions, scripted behaviour, balances, callbacks. */
export class OperatorEngine {
  private readonly providers = new Map<string, ProviderState>();
  private readonly txns: BoundedMap<string, ProviderTxn>;
  /** 503s answered, per provider and clientRef. */
  private readonly refusals: BoundedMap<string, number>;
  private readonly timers = new Timers();
  private sequence = 0;

  constructor(private readonly opts: EngineOptions) {
    for (const wire of opts.wires) {
      const callbackSecret = opts.callbackSecrets[wire.name];
      if (!callbackSecret) throw new Error(`no callback secret for simulated provider ${wire.name}`);
      this.providers.set(wire.name, { wire, callbackSecret, down: false, balance: opts.initialBalance });
    }
    this.txns = new BoundedMap(opts.maxTransactions);
    this.refusals = new BoundedMap(opts.maxTransactions);
  }

  get providerNames(): string[] {
    return [...this.providers.keys()];
  }

  sleep(ms: number): Promise<void> {
    return ms > 0 ? this.timers.sleep(ms) : Promise.resolve();
  }

  submit(provider: string, req: SubmitRequest): SubmitOutcome {
    const state = this.state(provider);
    const key = `${provider}:${req.clientRef}`;
    const scenario = scenarioFor(req.subscriber);
    if (state.down || (scenario === 'primaryProviderDown' && provider === this.opts.primaryProvider)) {
      this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
      return { kind: 'unavailable' };
    }
    const existing = this.txns.get(key);
    if (existing) {
      existing.submissions += 1;
      return { kind: 'answered', txn: existing, holdMs: 0 };
    }

    const now = new Date().toISOString();
    const txn: ProviderTxn = {
      provider,
      clientRef: req.clientRef,
      txnId: `${state.wire.txnIdPrefix}${String(++this.sequence).padStart(8, '0')}`,
      operatorCode: req.operatorCode,
      subscriber: req.subscriber,
      amount: req.amount ?? 0,
      status: 'PENDING',
      operatorRef: null,
      failure: null,
      submissions: 1,
      createdAt: now,
      updatedAt: now,
      history: [],
      callbacks: [],
    };
    this.txns.set(key, txn);

    const rejection = this.validate(state, req);
    if (rejection) {
      this.record(txn, 'FAILED', rejection);
      return { kind: 'answered', txn, holdMs: 0 };
    }
    state.balance -= txn.amount;
    switch (scenario) {
      case 'invalidNumber':
        this.settle(txn, 'FAILED', 'INVALID_NUMBER');
        break;
      case 'pendingThenSuccess':
        this.record(txn, 'PENDING');
        this.timers.after(this.opts.pendingResolveMs, () => this.settleAndCallBack(txn, 'SUCCESS'));
        break;
      case 'pendingThenFailed':
        this.record(txn, 'PENDING');
        this.timers.after(this.opts.pendingResolveMs, () => this.settleAndCallBack(txn, 'FAILED', 'OPERATOR_FAILURE'));
        break;
      case 'pendingForever':
        this.record(txn, 'PENDING');
        break;
      case 'firstSubmissionTimesOut':
        this.settle(txn, 'SUCCESS');
        return { kind: 'answered', txn, holdMs: this.opts.timeoutResponseMs };
      case 'successThenReversal':
        this.settle(txn, 'SUCCESS');
        this.timers.after(this.opts.reversalMs, () => this.settleAndCallBack(txn, 'REVERSED'));
        break;
      case 'primaryProviderDown':
      case 'success':
        this.settle(txn, 'SUCCESS');
        break;
    }
    return { kind: 'answered', txn, holdMs: 0 };
  }

  find(provider: string, clientRef: string): ProviderTxn | undefined {
    return this.txns.get(`${provider}:${clientRef}`);
  }

  summary(clientRef: string): ClientRefSummary | undefined {
    const attempts = this.providerNames
      .map((provider) => {
        const txn = this.find(provider, clientRef);
        return {
          provider,
          submissions: txn?.submissions ?? 0,
          status: txn?.status ?? null,
          unavailable: this.refusals.get(`${provider}:${clientRef}`) ?? 0,
          createdAt: txn?.createdAt ?? '',
        };
      })
      .filter((a) => a.submissions > 0 || a.unavailable > 0);
    if (attempts.length === 0) return undefined;
    const latest = attempts.filter((a) => a.submissions > 0).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return {
      clientRef,
      submissions: attempts.reduce((n, a) => n + a.submissions, 0),
      status: latest?.status ?? null,
      provider: latest?.provider ?? null,
      attempts: attempts.map(({ createdAt: _createdAt, ...a }) => a),
    };
  }

  isDown(provider: string): boolean {
    return this.state(provider).down;
  }

  hasProvider(provider: string): boolean {
    return this.providers.has(provider);
  }

  control(
    provider: string,
    change: { down?: boolean; balance?: number },
  ): { provider: string; down: boolean; balance: number } {
    const state = this.state(provider);
    if (change.down !== undefined) state.down = change.down;
    if (change.balance !== undefined) state.balance = change.balance;
    return { provider, down: state.down, balance: state.balance };
  }

  /**
   * For tests: what the provider says about a transaction from now on (status checks, a repeated
   * submission), as if its status changed and the callback got lost: none is sent.
   */
  setStatus(provider: string, clientRef: string, status: TxnStatus): ProviderTxn | undefined {
    const txn = this.find(provider, clientRef);
    if (!txn) return undefined;
    const charged = (s: TxnStatus) => s === 'PENDING' || s === 'SUCCESS';
    if (charged(txn.status) !== charged(status))
      this.state(provider).balance += charged(status) ? -txn.amount : txn.amount;
    if (status === 'SUCCESS' && !txn.operatorRef) {
      txn.operatorRef = `${txn.operatorCode.slice(0, 2).toUpperCase()}${randomInt(1e9, 1e10)}`;
    }
    this.record(txn, status, status === 'FAILED' ? 'OPERATOR_FAILURE' : undefined);
    return txn;
  }

  balance(provider: string): number {
    return this.state(provider).balance;
  }

  close(): void {
    this.timers.close();
  }

  private state(provider: string): ProviderState {
    const state = this.providers.get(provider);
    if (!state) throw new Error(`unknown provider ${provider}`);
    return state;
  }

  private validate(state: ProviderState, req: SubmitRequest): FailureReason | undefined {
    if (!req.operator) return 'OPERATOR_NOT_SUPPORTED';
    if (!isValidSubscriber(req.operator, req.subscriber)) return 'INVALID_NUMBER';
    const amount = req.amount;
    if (amount === undefined || amount <= 0 || amount % 100 !== 0 || amount > MAX_RECHARGE_PAISE)
      return 'INVALID_AMOUNT';
    if (state.balance < amount) return 'LOW_BALANCE';
    return undefined;
  }

  private record(txn: ProviderTxn, status: TxnStatus, failure?: FailureReason): void {
    const at = new Date().toISOString();
    txn.status = status;
    txn.failure = failure ?? null;
    txn.updatedAt = at;
    txn.history.push({ at, status });
  }

  /** A final status: the operator reference on success, the money back on failure or reversal. */
  private settle(txn: ProviderTxn, status: Exclude<TxnStatus, 'PENDING'>, failure?: FailureReason): void {
    if (status === 'SUCCESS') txn.operatorRef = `${txn.operatorCode.slice(0, 2).toUpperCase()}${randomInt(1e9, 1e10)}`;
    else this.state(txn.provider).balance += txn.amount;
    this.record(txn, status, failure);
  }

  private settleAndCallBack(txn: ProviderTxn, status: Exclude<TxnStatus, 'PENDING'>, failure?: FailureReason): void {
    this.settle(txn, status, failure);
    const message = this.state(txn.provider).wire.callback(txn);
    this.deliver(txn, status, message);
  }

  private deliver(txn: ProviderTxn, status: TxnStatus, message: CallbackMessage): void {
    const { callbackSecret } = this.state(txn.provider);
    const webhook = { url: this.opts.callbackUrl(txn.provider), secret: callbackSecret, ...message };
    deliverWithRetries(webhook, {
      timers: this.timers,
      retryDelaysMs: this.opts.callbackRetryDelaysMs,
      onAttempt: (d) => txn.callbacks.push({ ...d, status }),
      log: this.opts.log,
    });
  }
}
