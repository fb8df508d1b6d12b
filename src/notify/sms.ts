import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';

export interface SmsConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** Where the Twilio REST API lives; the local twilio-compatible sink in development. */
  apiBaseUrl: string;
}

export interface SmsSender {
  send(to: string, body: string): Promise<{ sid: string }>;
}

const TWILIO_API = 'https://api.twilio.com';

/** The real twilio client, with its requests sent to `apiBaseUrl` instead of api.twilio.com. */
export function createSmsSender(cfg: SmsConfig): SmsSender {
  const redirect = !cfg.apiBaseUrl.startsWith(TWILIO_API);
  class RedirectingRequestClient extends twilio.RequestClient {
    override request<T>(opts: RequestClient.RequestOptions<T>) {
      const uri = redirect ? opts.uri.replace(TWILIO_API, cfg.apiBaseUrl.replace(/\/$/, '')) : opts.uri;
      return super.request<T>({ ...opts, uri, timeout: 10_000 });
    }
  }
  const client = twilio(cfg.accountSid, cfg.authToken, {
    httpClient: new RedirectingRequestClient(),
    autoRetry: false,
  });
  return {
    async send(to, body) {
      const msg = await client.messages.create({ to, from: cfg.from, body });
      return { sid: msg.sid };
    },
  };
}
