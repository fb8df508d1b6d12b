/**
 * A twilio-compatible SMS sink: the real twilio client, pointed here, sends and nothing leaves the machine.
 *
 *   POST /2010-04-01/Accounts/:AccountSid/Messages.json   form To, From | MessagingServiceSid, Body;
 *        HTTP basic auth AccountSid:AuthToken → 201 a Twilio message resource (status "queued")
 *   GET  /2010-04-01/Accounts/:AccountSid/Messages/:Sid.json   the resource
 *   GET  /messages?to=<mobile>        {items: [...]} newest first; matches the last 10 digits, so 98… and +9198… both work
 *   POST /control {down: boolean}     while down, the Messages API answers 503 (Twilio's error shape)
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type Response } from 'express';
import { z } from 'zod';
import { RecentList } from './bounded';
import { issues, jsonErrors, sameSecret } from './http';

export interface SmsSinkOptions {
  accountSid: string;
  authToken: string;
  maxMessages?: number;
}

interface SmsMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  createdAt: Date;
}

/** Twilio's own error shape, which its client turns into a RestException. */
function twilioError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

const createMessage = z
  .object({
    To: z.string().min(1, "A 'To' phone number is required."),
    From: z.string().min(1).optional(),
    MessagingServiceSid: z.string().min(1).optional(),
    Body: z.string().min(1, 'Message body is required.').max(1600),
  })
  .refine((m) => m.From || m.MessagingServiceSid, "A 'From' phone number is required.");

/** Last 10 digits: an Indian mobile number with or without +91. */
const mobileKey = (s: string) => s.replace(/\D/g, '').slice(-10);

export interface SmsSink {
  app: Express;
}

export function createSmsSink(opts: SmsSinkOptions): SmsSink {
  const messages = new RecentList<SmsMessage>(opts.maxMessages ?? 10_000);
  let down = false;

  const resource = (m: SmsMessage) => {
    const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    const date = m.createdAt.toUTCString().replace('GMT', '+0000');
    return {
      account_sid: m.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil(m.body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: 'queued',
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to: m.to,
      uri,
    };
  };

  const app = express();
  app.disable('x-powered-by');

  const twilioApi = express.Router({ mergeParams: true });
  twilioApi.use(express.urlencoded({ extended: false, limit: '16kb' }), (req, res, next) => {
    if (down) return twilioError(res, 503, 20503, 'Service unavailable');
    const [scheme, encoded] = (req.get('authorization') ?? '').split(' ');
    const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
      .toString()
      .split(':');
    const accountSid = (req.params as { accountSid: string }).accountSid;
    const ok =
      scheme === 'Basic' &&
      sameSecret(user, opts.accountSid) &&
      sameSecret(rest.join(':'), opts.authToken) &&
      accountSid === opts.accountSid;
    if (!ok) return twilioError(res, 401, 20003, 'Authenticate');
    next();
  });

  twilioApi.post('/Messages.json', (req, res) => {
    const parsed = createMessage.safeParse(req.body ?? {});
    if (!parsed.success) return twilioError(res, 400, 21604, parsed.error.issues[0]?.message ?? 'Invalid request');
    const m: SmsMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid: opts.accountSid,
      to: parsed.data.To,
      from: parsed.data.From ?? null,
      messagingServiceSid: parsed.data.MessagingServiceSid ?? null,
      body: parsed.data.Body,
      createdAt: new Date(),
    };
    messages.add(m);
    res.status(201).json(resource(m));
  });

  twilioApi.get('/Messages/:sid.json', (req, res) => {
    const m = messages.newestFirst((x) => x.sid === req.params.sid)[0];
    if (!m) return twilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
    res.json(resource(m));
  });

  app.use('/2010-04-01/Accounts/:accountSid', twilioApi);

  app.get('/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? mobileKey(req.query.to) : '';
    const items = messages
      .newestFirst((m) => to === '' || mobileKey(m.to) === to)
      .map((m) => ({ sid: m.sid, to: m.to, from: m.from, body: m.body, at: m.createdAt.toISOString() }));
    res.json({ items });
  });

  app.post('/control', express.json({ limit: '1kb' }), (req, res) => {
    const parsed = z.object({ down: z.boolean() }).safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', issues: issues(parsed.error) } });
    down = parsed.data.down;
    res.json({ down });
  });

  app.use(jsonErrors);
  return { app };
}
