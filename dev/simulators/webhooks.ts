import type { Logger } from '../../src/logger';
import type { Timers } from './bounded';
import { postSigned, type Delivery } from './http';

export interface SignedWebhook {
  url: string;
  body: string;
  contentType: string;
  secret: string;
}

/**
 * Delivers a signed webhook, redelivering after each of `retryDelaysMs` until one is answered 2xx.
 * Every attempt is reported to `onAttempt`, so the simulators can show it for inspection.
 */
export function deliverWithRetries(
  webhook: SignedWebhook,
  opts: { timers: Timers; retryDelaysMs: number[]; onAttempt: (d: Delivery) => void; log: Logger },
  attempt = 0,
): void {
  void postSigned(webhook.url, webhook.body, webhook.contentType, webhook.secret, opts.timers.signal).then((d) => {
    opts.onAttempt(d);
    opts.log.debug({ url: webhook.url, ...d }, 'webhook');
    const retryIn = opts.retryDelaysMs[attempt];
    if (!d.delivered && retryIn !== undefined && !opts.timers.signal.aborted) {
      opts.timers.after(retryIn, () => deliverWithRetries(webhook, opts, attempt + 1));
    }
  });
}
