import type { RequestHandler, Response } from 'express';
import type { OperatorEngine, ProviderTxn, SubmitRequest } from './engine';

/** What an outage looks like from outside: a proxy's 503, no provider body to parse. */
export function serviceUnavailable(res: Response): void {
  res.status(503).type('text/plain').send('Service Unavailable');
}

/** Simulated network latency before every provider API call. */
export function latency(engine: OperatorEngine, ms: number): RequestHandler {
  return async (_req, _res, next) => {
    try {
      await engine.sleep(ms);
    } catch {
      return; // the simulator is closing
    }
    next();
  };
}

/** 503 while the provider is marked down (submissions check it in the engine, which counts them). */
export function unlessDown(engine: OperatorEngine, provider: string): RequestHandler {
  return (_req, res, next) => (engine.isDown(provider) ? serviceUnavailable(res) : next());
}

/** Runs a submission through the engine and answers it in the provider's format, late if scripted. */
export async function answerSubmission(
  engine: OperatorEngine,
  provider: string,
  res: Response,
  { request, answer }: { request: SubmitRequest; answer: (txn: ProviderTxn) => void },
): Promise<void> {
  const outcome = engine.submit(provider, request);
  if (outcome.kind === 'unavailable') return serviceUnavailable(res);
  try {
    await engine.sleep(outcome.holdMs);
  } catch {
    return;
  }
  answer(outcome.txn);
}
