import { z } from 'zod';

export interface GatewayOrder {
  orderId: string;
  paymentUrl: string;
}

const orderResponse = z.object({ orderId: z.string().min(1), paymentUrl: z.url() });

/** Thrown for answers that will not change on retry (our request is wrong). */
export class GatewayRejected extends Error {
  override name = 'GatewayRejected';
}

/**
 * The payment gateway's order API. Orders are idempotent by reference at the gateway, so a
 * retried activity gets the same order back.
 */
export function createGatewayClient(cfg: { baseUrl: string; merchantKey: string; timeoutMs?: number }) {
  return {
    async createOrder(input: { amount: bigint; reference: string }): Promise<GatewayOrder> {
      const res = await fetch(`${cfg.baseUrl.replace(/\/$/, '')}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Merchant-Key': cfg.merchantKey },
        body: JSON.stringify({ amount: Number(input.amount), reference: input.reference }),
        signal: AbortSignal.timeout(cfg.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      if (res.status >= 400 && res.status < 500) {
        throw new GatewayRejected(`gateway refused the order (${res.status}): ${text.slice(0, 200)}`);
      }
      if (!res.ok) throw new Error(`gateway error ${res.status}`);
      return orderResponse.parse(JSON.parse(text));
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
