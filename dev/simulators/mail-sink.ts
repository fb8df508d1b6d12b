/**
 * Mail sink: an SMTP server (no auth, no TLS) that keeps what it receives, and an HTTP view of it.
 *
 *   SMTP on its port: any sender, any recipient, at most 10 MB a message
 *   GET /messages?to=<address>   {items: [{id, messageId, from, to, cc, subject, text, html, date, receivedAt}]}
 *                                newest first; `to` matches envelope recipients (so Bcc too), case-insensitive
 */
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../../src/logger';
import { RecentList } from './bounded';
import { jsonErrors } from './http';

export interface MailSinkOptions {
  log: Logger;
  maxMessages?: number;
}

interface Mail {
  id: number;
  messageId: string | null;
  from: string | null;
  to: string[];
  cc: string[];
  envelopeTo: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  date: string | null;
  receivedAt: string;
}

const MAX_SIZE = 10 * 1024 * 1024;

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((o) => o.value.flatMap((a) => (a.address ? [a.address] : [])));
}

export interface MailSink {
  app: Express;
  /** Starts the SMTP side; port 0 picks a free one. */
  listenSmtp(host: string, port: number): Promise<number>;
  closeSmtp(): Promise<void>;
}

export function createMailSink(opts: MailSinkOptions): MailSink {
  const mails = new RecentList<Mail>(opts.maxMessages ?? 10_000);
  let nextId = 1;

  const smtp = new SMTPServer({
    banner: 'Tijori development mail sink',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_SIZE,
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }));
            return;
          }
          const mail: Mail = {
            id: nextId++,
            messageId: parsed.messageId ?? null,
            from: addresses(parsed.from)[0] ?? null,
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? null,
            text: parsed.text ?? null,
            html: typeof parsed.html === 'string' ? parsed.html : null,
            date: parsed.date?.toISOString() ?? null,
            receivedAt: new Date().toISOString(),
          };
          mails.add(mail);
          opts.log.debug({ id: mail.id, to: mail.envelopeTo, subject: mail.subject }, 'mail received');
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  smtp.on('error', (err) => opts.log.warn({ err }, 'smtp sink error'));

  const app = express();
  app.disable('x-powered-by');
  app.get('/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to.trim().toLowerCase() : '';
    const items = mails.newestFirst(
      (m) => to === '' || [...m.envelopeTo, ...m.to, ...m.cc].some((a) => a.toLowerCase() === to),
    );
    res.json({ items });
  });
  app.use(jsonErrors);

  return {
    app,
    listenSmtp: (host, port) =>
      new Promise((resolve, reject) => {
        smtp.server.once('error', reject);
        smtp.listen(port, host, () => {
          smtp.server.off('error', reject);
          resolve((smtp.server.address() as AddressInfo).port);
        });
      }),
    closeSmtp: () => new Promise((resolve) => smtp.close(() => resolve())),
  };
}
