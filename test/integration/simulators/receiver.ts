import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { startSimulators, type RunningSimulators, type SimulatorsOptions } from '../../../dev/simulators/start';

export interface Received {
  path: string;
  contentType: string;
  signature: string;
  body: string;
  at: number;
}

/** Stands in for our API's callback and webhook routes: records every POST, answers `status`. */
export class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'] ?? '',
          signature: String(req.headers['x-signature'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Waits until `count` requests matched `keep`. */
  async waitFor(keep: (r: Received) => boolean, { count = 1, timeoutMs = 5000 } = {}): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.received.filter(keep);
      if (hits.length >= count) return hits;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} request(s); got ${hits.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

export function validSignature(secret: string, r: Received): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(r.body).digest('hex'));
  const given = Buffer.from(r.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function simulatorConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    ...env,
    NODE_ENV: 'test',
    SIM_OPERATOR_PORT: '0',
    SIM_KYC_PORT: '0',
    SIM_GATEWAY_PORT: '0',
    SIM_SMS_PORT: '0',
    SIM_SMTP_PORT: '0',
    SIM_MAIL_HTTP_PORT: '0',
    SIM_OPERATOR_LATENCY_MS: '0',
  });
}

/** Every simulator on free ports, calling back to a fresh receiver. */
export async function startWithReceiver(
  opts: Omit<SimulatorsOptions, 'apiBaseUrl'> = {},
  env: Record<string, string> = {},
): Promise<{ config: Config; receiver: Receiver; sims: RunningSimulators; stop(): Promise<void> }> {
  const config = simulatorConfig(env);
  const receiver = await new Receiver().start();
  const sims = await startSimulators(config, createLogger(process.env.LOG_LEVEL ?? 'silent'), {
    ...opts,
    apiBaseUrl: receiver.url,
  });
  return {
    config,
    receiver,
    sims,
    stop: async () => {
      await sims.stop();
      await receiver.stop();
    },
  };
}

// Test code reads answers loosely; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as Json };
}

export async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Json };
}
