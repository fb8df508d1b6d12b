import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal identifiers (Aadhaar, PAN) at rest: AES-256-GCM ciphertext under a named key, a keyed
 * hash (HMAC-SHA256) for equality look-ups, and the last 4 characters for display. Nothing else
 * about the value is ever stored.
 *
 * Ciphertext format: `<keyId>.<iv>.<tag>.<ciphertext>` (base64url), so old ciphertexts stay
 * readable after the active key changes; `reencrypt` moves one to the active key. The field name
 * is authenticated data: a PAN ciphertext cannot be passed off as an Aadhaar one.
 *
 * The look-up key is separate from the encryption keys and does not rotate with them: changing it
 * changes every hash, so it needs a re-hash of the stored values (decrypt, hash again).
 */

export type PiiField = 'aadhaar' | 'pan' | 'webhook_secret';

export interface PiiKeyring {
  /** Key id → 32-byte AES key. */
  keys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
  /** HMAC key for look-up hashes, at least 32 bytes. */
  lookupKey: Buffer;
}

/** A value as it may be stored and passed around (also through Temporal histories). */
export interface SealedPii {
  ciphertext: string;
  hash: string;
  last4: string;
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

export class PiiKeyError extends Error {
  override name = 'PiiKeyError';
}

/** Parses `kid1:base64key,kid2:base64key` (each key 32 bytes). */
export function parsePiiKeys(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const at = part.indexOf(':');
    const id = part.slice(0, at);
    const key = Buffer.from(part.slice(at + 1), 'base64');
    if (at <= 0 || !keyIdPattern.test(id)) throw new PiiKeyError('each PII key is <id>:<base64 key>, id [A-Za-z0-9_-]');
    if (key.length !== 32) throw new PiiKeyError(`PII key ${id} is not 32 bytes (base64)`);
    if (keys.has(id)) throw new PiiKeyError(`PII key ${id} appears twice`);
    keys.set(id, key);
  }
  return keys;
}

export class PiiVault {
  constructor(private readonly ring: PiiKeyring) {
    if (!ring.keys.has(ring.activeKeyId))
      throw new PiiKeyError(`the active PII key ${ring.activeKeyId} is not configured`);
    if (ring.lookupKey.length < 32) throw new PiiKeyError('the PII look-up key must be at least 32 bytes');
  }

  encrypt(field: PiiField, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.ring.keys.get(this.ring.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(field));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [this.ring.activeKeyId, iv, cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(field: PiiField, sealed: string): string {
    const [keyId, iv, tag, ct, extra] = sealed.split('.');
    if (!keyId || !iv || !tag || ct === undefined || extra !== undefined)
      throw new PiiKeyError('malformed PII ciphertext');
    const key = this.ring.keys.get(keyId);
    if (!key) throw new PiiKeyError(`PII key ${keyId} is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(field));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  keyIdOf(sealed: string): string {
    return sealed.slice(0, sealed.indexOf('.'));
  }

  /** The ciphertext under the active key (unchanged when it already is). */
  reencrypt(field: PiiField, sealed: string): string {
    if (this.keyIdOf(sealed) === this.ring.activeKeyId) return sealed;
    return this.encrypt(field, this.decrypt(field, sealed));
  }

  /** Hex HMAC-SHA256 of the value, per field: equal values of one field have equal hashes. */
  lookupHash(field: PiiField, value: string): string {
    return createHmac('sha256', this.ring.lookupKey).update(`${field}\0${value}`).digest('hex');
  }

  seal(field: PiiField, value: string): SealedPii {
    return { ciphertext: this.encrypt(field, value), hash: this.lookupHash(field, value), last4: last4(value) };
  }
}

export function last4(value: string): string {
  return value.slice(-4);
}

/** For display only: `XXXX XXXX 1234`. */
export function maskAadhaar(last: string): string {
  return `XXXX XXXX ${last}`;
}

/** For display only: `XXXXXX234F`. */
export function maskPan(last: string): string {
  return `XXXXXX${last}`;
}

/** The vault of the configuration's `pii` section (src/config.ts). */
export function piiVaultFromConfig(cfg: { keys: string; activeKeyId: string; lookupKey: string }): PiiVault {
  return new PiiVault({
    keys: parsePiiKeys(cfg.keys),
    activeKeyId: cfg.activeKeyId,
    lookupKey: Buffer.from(cfg.lookupKey, 'base64'),
  });
}
