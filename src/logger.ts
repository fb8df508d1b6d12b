import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Secrets and personal data are redacted by key wherever they appear, so a
 * careless `log.info({ body })` still never writes an API key, mPIN, OTP, Aadhaar, PAN, mobile,
 * name, email or subscriber number.
 */
/** Secrets: redacted from logs, and left out of audit details too (src/audit/log.ts). */
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

/** Personal data: redacted from logs (audit details keep what they name, e.g. an API key's name). */
export const personalKeys = ['mobile', 'name', 'email', 'subscriber'];

const censor = '[redacted]';
const nested = (k: string) => [`*.${k}`, `*.*.${k}`, `*.*.*.${k}`];
const paths = [
  ...redactedKeys.flatMap((k) => [k, ...nested(k), `req.headers["${k}"]`]),
  // A top-level `name` is censored by the log formatter below: a redact path would censor the
  // logger's own name too.
  ...personalKeys.flatMap((k) => (k === 'name' ? nested(k) : [k, ...nested(k)])),
];

/** `destination` defaults to stdout; tests pass a stream to read what would be logged. */
export function createLogger(level: string, name = 'tijori', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths, censor },
      formatters: { log: (o) => ('name' in o ? { ...o, name: censor } : o) },
    },
    destination,
  );
}

export type { Logger };
