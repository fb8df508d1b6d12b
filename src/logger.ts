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
  'jwtSecret',
  'otpSecret',
  'mpinPepper',
  'mpin_hash',
  'otp_hash',
];

const paths = redactedKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers["${k}"]`]);

/** `destination` defaults to stdout; tests pass a stream to read what would be logged. */
export function createLogger(level: string, name = 'tijori', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: { paths, censor: '[redacted]' } }, destination);
}

export type { Logger };
