import { createHash, randomBytes } from 'node:crypto';

/** API keys are 256-bit random secrets, so a plain SHA-256 is a safe one-way store for them. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `tjr_${randomBytes(32).toString('base64url')}`;
}

/** What may be shown of a key after creation: enough to tell keys apart, useless to an attacker. */
export function keyPrefix(key: string): string {
  return key.slice(0, 10);
}
