import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The `Tijori-Signature` header, Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`. The time is signed with the body, so a receiver that rejects old times
 * (verifySignature: 5 minutes) cannot be replayed an old delivery.
 */

export const SIGNATURE_HEADER = 'Tijori-Signature';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, t: number): string {
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * What a receiver does with a delivery: true when one `v1` of the header is the HMAC of the raw
 * body under the secret and `t` is within `toleranceSeconds` of now.
 */
export function verifySignature(
  secret: string,
  rawBody: string,
  header: string,
  { toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const ts = parts.filter(([k]) => k === 't').map(([, v]) => v ?? '');
  if (ts.length !== 1 || !/^\d{1,12}$/.test(ts[0]!)) return false;
  const t = Number(ts[0]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, t, rawBody));
  return parts
    .filter(([k]) => k === 'v1')
    .some(([, v]) => {
      const given = Buffer.from(v ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}
