import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express } from 'express';
import type { z } from 'zod';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port) and reports the real URL. */
export async function listen(app: Express, host: string, port: number): Promise<Listening> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Held responses (the simulated timeout) would otherwise keep close() waiting.
        server.closeAllConnections();
      }),
  };
}

/** Hex HMAC-SHA256 of the exact bytes sent: what every simulator puts in `X-Signature`. */
export function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export interface Delivery {
  at: string;
  delivered: boolean;
  httpStatus?: number;
  error?: string;
}

/** POSTs a signed body once; never throws, the outcome is the answer. */
export async function postSigned(
  url: string,
  body: string,
  contentType: string,
  secret: string,
  signal?: AbortSignal,
): Promise<Delivery> {
  const at = new Date().toISOString();
  const timeout = AbortSignal.timeout(10_000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': contentType, 'X-Signature': sign(secret, body) },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await res.arrayBuffer();
    return { at, delivered: res.ok, httpStatus: res.status };
  } catch (err) {
    return { at, delivered: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export function issues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/** Malformed bodies (bad JSON) answer 400 in a neutral JSON shape instead of express's HTML page. */
export const jsonErrors: ErrorRequestHandler = (err: { status?: number; message?: string }, _req, res, _next) => {
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
  res
    .status(status)
    .json({ error: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL', message: err.message ?? 'error' } });
};

/** Constant-time comparison of a presented credential with the expected one. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
