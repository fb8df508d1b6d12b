import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** A random, unguessable id with a type prefix, e.g. `usr_8k2m…` (100 bits of entropy). */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b % 32];
  return `${prefix}_${out}`;
}
