import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Secrets and PII are redacted by key wherever they appear, so a careless
 * `log.info({ body })` still never writes an API key, mPIN, OTP, Aadhaar or PAN.
 */
export const redactedKeys = [
  'authorization',
  'x-mpin',
  'apiKey',
  'key',
  'mpin',
  'currentMpin',
  'otp',
  'aadhaarNumber',
  'aadhaar',
  'pan',
  'password',
  'refreshToken',
  'accessToken',
  'token',
  'secret',
];

const paths = redactedKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers["${k}"]`]);

export function createLogger(level: string, name = 'tijori'): Logger {
  return pino({ name, level, redact: { paths, censor: '[redacted]' } });
}

export type { Logger };
