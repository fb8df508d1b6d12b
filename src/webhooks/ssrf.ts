import dns from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * The SSRF guard for webhook URLs: a client's URL may not make our servers call into our own
 * network. In production a URL is https and every address its host resolves to is public; in
 * development and tests loopback (and plain http) is allowed so a local receiver can be used.
 * Hosts are resolved when an endpoint is registered and again on every connection (`guardedLookup`
 * is the socket's own lookup), so DNS that changes after registration cannot reach inside.
 */

export interface UrlPolicy {
  production: boolean;
}

export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Everything that is not the public internet (RFC 6890 special-purpose registries, and more). */
const nonPublic = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-compatible (deprecated); IPv4-mapped addresses are checked as the IPv4 they carry.
  ['::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // IETF protocol assignments, Teredo (2001::/32) included: it tunnels to an embedded IPv4.
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  nonPublic.addSubnet(net, bits, 'ipv6');
}

/** The 16 bytes of a valid IPv6 address (zone id dropped). */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number));
    text = `${text.slice(0, dotted.index)}:0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = words(head);
  const right = words(rest);
  const all =
    rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * The IPv4 address an IPv6 address stands for, when it carries one that the network would route
 * to: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16).join('.');
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12))
    return b.slice(12, 16).join('.');
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6).join('.');
  return undefined;
}

/** Why an address may not be called under the policy, or undefined when it may. */
export function addressProblem(address: string, policy: UrlPolicy): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  let v4 = family === 4 ? address : embeddedIpv4(address);
  if (v4 !== undefined && !isIPv4(v4)) v4 = undefined;
  const [ip, type] = v4 !== undefined ? [v4, 'ipv4' as const] : [address.split('%')[0]!, 'ipv6' as const];
  if (!policy.production && loopback.check(ip, type)) return undefined;
  if (nonPublic.check(ip, type)) return `${address} is a private, loopback, link-local or reserved address`;
  return undefined;
}

/** The URL, parsed, when its form is allowed (scheme, no credentials); resolution is separate. */
export function parseWebhookUrl(text: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeUrlError('not a URL');
  }
  const schemes = policy.production ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol))
    throw new UnsafeUrlError(policy.production ? 'must be https' : 'must be http or https');
  if (url.username || url.password) throw new UnsafeUrlError('may not carry credentials');
  if (!url.hostname) throw new UnsafeUrlError('has no host');
  return url;
}

/** A URL hostname as an address or name: brackets of an IPv6 literal removed. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export type Resolve = (host: string) => Promise<string[]>;

const RESOLVE_TIMEOUT_MS = 3000;

/** The system resolver's answers; a resolver that does not answer within 3 s counts as no answer. */
export const resolveAll: Resolve = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no DNS answer for ${host}`)), RESOLVE_TIMEOUT_MS);
  });
  try {
    const answers = await Promise.race([dns.promises.lookup(host, { all: true, verbatim: true }), timeout]);
    return answers.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Checks the URL's form and every address its host resolves to (an IP literal is its own
 * address); throws UnsafeUrlError naming the problem.
 */
export async function assertSafeUrl(text: string, policy: UrlPolicy, resolve: Resolve = resolveAll): Promise<URL> {
  const url = parseWebhookUrl(text, policy);
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new UnsafeUrlError(`host ${host} does not resolve`);
    }
    if (addresses.length === 0) throw new UnsafeUrlError(`host ${host} does not resolve`);
  }
  for (const a of addresses) {
    const problem = addressProblem(a, policy);
    if (problem) throw new UnsafeUrlError(problem);
  }
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).request that refuses a host when any address it resolves to breaks the
 * policy: the check and the connection use the same answer, so DNS rebinding gains nothing.
 */
export function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const problem = addresses.length
        ? addresses.map((a) => addressProblem(a.address, policy)).find((p) => p !== undefined)
        : `host ${hostname} does not resolve`;
      if (problem) return callback(Object.assign(new UnsafeUrlError(problem), { code: 'EUNSAFEADDRESS' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
