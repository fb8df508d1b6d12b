import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';
import type { ApiClient } from './api';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** A logger whose JSON lines are kept in memory, to check what the stack would have logged. */
export function captureLogs(level = 'debug'): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger(level, 'tijori', sink), text: () => chunks.join('') };
}

interface SmsItem {
  sid: string;
  body: string;
}

export async function smsTo(smsUrl: string, mobile: string): Promise<SmsItem[]> {
  const res = await fetch(`${smsUrl}/messages?to=${mobile}`);
  return ((await res.json()) as { items: SmsItem[] }).items;
}

/** The code of the next SMS to `mobile` after the `seen` it already had (codes are sent after the 202). */
export async function nextOtp(smsUrl: string, mobile: string, seen: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const items = await smsTo(smsUrl, mobile);
    if (items.length > seen) {
      const m = /\b(\d{6}) is your Tijori sign-in code/.exec(items[0]!.body);
      if (!m) throw new Error(`unexpected SMS: ${items[0]!.body}`);
      return m[1]!;
    }
    if (Date.now() > deadline) throw new Error(`no SMS reached ${mobile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Signs in by OTP through the API, reading the code from the SMS sink. */
export async function signIn(anon: ApiClient, smsUrl: string, mobile: string): Promise<TokenPair & { otp: string }> {
  const seen = (await smsTo(smsUrl, mobile)).length;
  const challenge = await anon.post('/v1/auth/otp', { mobile }, false);
  if (challenge.status !== 202) throw new Error(`otp request: ${challenge.status} ${JSON.stringify(challenge.body)}`);
  const otp = await nextOtp(smsUrl, mobile, seen);
  const verified = await anon.post<TokenPair>(
    '/v1/auth/otp/verify',
    { challengeId: challenge.body.challengeId, otp },
    false,
  );
  if (verified.status !== 200) throw new Error(`otp verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  return { ...verified.body, otp };
}
