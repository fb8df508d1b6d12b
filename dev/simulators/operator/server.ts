import express, { type Express } from 'express';
import type { Logger } from '../../../src/logger';
import { jsonErrors } from '../http';
import { ALPHA, alphaRouter, alphaWire } from './alpha';
import { BETA, betaRouter, betaWire } from './beta';
import { controlRouter } from './control';
import { OperatorEngine } from './engine';
import { latency } from './submission';

/** What each simulated provider accepts from us, and the key it signs its callbacks with. */
export interface ProviderCredentials {
  alpha: { apiKey: string; callbackSecret: string };
  beta: { userid: string; token: string; callbackSecret: string };
}

/** The development values of the PROVIDER_ALPHA_* and PROVIDER_BETA_* variables (src/config.ts). */
export const DEFAULT_PROVIDER_CREDENTIALS: ProviderCredentials = {
  alpha: { apiKey: 'dev-alpha-api-key', callbackSecret: 'dev-alpha-callback-secret' },
  beta: { userid: 'TIJORI01', token: 'dev-beta-token', callbackSecret: 'dev-beta-callback-secret' },
};

export interface OperatorSimulatorOptions {
  /** Callbacks go to `<apiBaseUrl>/v1/providers/<name>/callback`, signed (`X-Signature`) with its own secret. */
  apiBaseUrl: string;
  log: Logger;
  /** Added before every provider API answer. Default 0. */
  latencyMs?: number;
  /** PENDING → final callback delay for 9000000002/9000000003. Default 2000. */
  pendingResolveMs?: number;
  /** SUCCESS → REVERSED callback delay for 9000000005. Default 3000. */
  reversalMs?: number;
  /** How long the first submission for 9000000004 goes unanswered. Default 20000. */
  timeoutResponseMs?: number;
  /** Redelivery waits for a callback not answered 2xx. Default [1000, 5000]. */
  callbackRetryDelaysMs?: number[];
  credentials?: ProviderCredentials;
  /** Paise prepaid at each provider. Default ₹10,00,000. */
  initialBalance?: number;
  maxTransactions?: number;
}

export interface OperatorSimulator {
  app: Express;
  close(): void;
}

/** Recharge providers alpha (first priority) and beta on one app, under /providers/<name>/. */
export function createOperatorSimulator(opts: OperatorSimulatorOptions): OperatorSimulator {
  const base = opts.apiBaseUrl.replace(/\/$/, '');
  const creds = opts.credentials ?? DEFAULT_PROVIDER_CREDENTIALS;
  const engine = new OperatorEngine({
    wires: [alphaWire, betaWire],
    primaryProvider: ALPHA,
    callbackUrl: (provider) => `${base}/v1/providers/${provider}/callback`,
    callbackSecrets: { [ALPHA]: creds.alpha.callbackSecret, [BETA]: creds.beta.callbackSecret },
    pendingResolveMs: opts.pendingResolveMs ?? 2000,
    reversalMs: opts.reversalMs ?? 3000,
    timeoutResponseMs: opts.timeoutResponseMs ?? 20_000,
    callbackRetryDelaysMs: opts.callbackRetryDelaysMs ?? [1000, 5000],
    initialBalance: opts.initialBalance ?? 10_00_000_00,
    maxTransactions: opts.maxTransactions ?? 50_000,
    log: opts.log,
  });
  const delay = latency(engine, opts.latencyMs ?? 0);

  const app = express();
  app.disable('x-powered-by');
  app.use(controlRouter(engine));
  app.use(`/providers/${ALPHA}`, delay, alphaRouter(engine, creds.alpha.apiKey));
  app.use(`/providers/${BETA}`, delay, betaRouter(engine, creds.beta));
  app.use(jsonErrors);
  return { app, close: () => engine.close() };
}
