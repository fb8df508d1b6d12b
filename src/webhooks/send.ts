import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import { addressProblem, guardedLookup, hostOf, parseWebhookUrl, type UrlPolicy } from './ssrf';

/**
 * Connections are kept alive between deliveries to the same receiver. A socket is only ever made
 * through guardedLookup, and each policy has its own agents, so a kept socket never serves a
 * request its policy would refuse.
 */
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, policy: UrlPolicy): http.Agent {
  const key = `${protocol}${policy.production}`;
  let agent = agents.get(key);
  if (!agent) {
    const opts = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 30_000 };
    agent = protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
    agents.set(key, agent);
  }
  return agent;
}

export interface PostResult {
  /** The receiver's HTTP status; undefined when none came (refused, timed out, unsafe address). */
  status?: number;
  error?: string;
  durationMs: number;
}

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is a failure: following one
 * would skip the address check), the answer's body is discarded, and the whole exchange is cut
 * off after `timeoutMs`. Never throws.
 */
export function postWebhook(
  target: { url: string; secret: string; body: string; eventId: string },
  opts: { policy: UrlPolicy; timeoutMs: number; now?: () => number },
): Promise<PostResult> {
  const started = Date.now();
  const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Date.now() - started });
  let url: URL;
  try {
    url = parseWebhookUrl(target.url, opts.policy);
    const host = hostOf(url);
    // Sockets skip `lookup` for an address literal: check it here.
    const problem = isIP(host) ? addressProblem(host, opts.policy) : undefined;
    if (problem) return Promise.resolve(done({ error: problem }));
  } catch (err) {
    return Promise.resolve(done({ error: (err as Error).message }));
  }
  const t = Math.floor((opts.now?.() ?? Date.now()) / 1000);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(opts.policy),
        agent: agentFor(url.protocol, opts.policy),
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(target.body),
          'User-Agent': 'Tijori-Webhooks/1',
          'Tijori-Event-Id': target.eventId,
          [SIGNATURE_HEADER]: signatureHeader(target.secret, target.body, t),
        },
      },
      (res) => {
        // The status is the answer; the body is read only to free the socket.
        res.on('error', () => undefined);
        res.on('close', () => settle({ status: res.statusCode }));
        res.resume();
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('error', (err) => settle({ error: err.message }));
    req.end(target.body);
  });
}
