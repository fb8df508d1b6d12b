import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** The exact bytes received (kept by the body parsers in src/http/app.ts): signatures are over them. */
export function rawBodyOf(req: Request): Buffer {
  return (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
}

/** HMAC-SHA256 of the raw body, hex, compared in constant time. */
export function validSignature(secret: string, rawBody: Buffer, signature: string | undefined): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
