import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'tijori';
const AUDIENCE = 'tijori-api';

export interface AccessClaims {
  /** The user. */
  sub: string;
  /** The session, checked against its row on every request so revocation takes effect at once. */
  sid: string;
}

/** A short-lived HS256 access token for a session. */
export function signAccessToken(secret: string, claims: AccessClaims, ttlSeconds: number): string {
  return jwt.sign({ sid: claims.sid, typ: 'access' }, secret, {
    algorithm: 'HS256',
    subject: claims.sub,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: ttlSeconds,
  });
}

/** The claims of a valid, unexpired access token, or undefined for anything else. */
export function verifyAccessToken(secret: string, token: string): AccessClaims | undefined {
  try {
    const p = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    if (typeof p !== 'object' || p.typ !== 'access') return undefined;
    const sid: unknown = p.sid;
    if (typeof p.sub !== 'string' || typeof sid !== 'string') return undefined;
    return { sub: p.sub, sid };
  } catch {
    return undefined;
  }
}

/** Three base64url segments: told apart from API keys (`tjr_…`) before any lookup. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** Refresh tokens are 256-bit random and opaque; only their SHA-256 is stored. */
export function newRefreshToken(): string {
  return `rtk_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
