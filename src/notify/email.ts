import nodemailer from 'nodemailer';

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
}

export interface EmailSender {
  send(to: string, subject: string, text: string): Promise<{ messageId: string }>;
  close(): void;
}

export function createEmailSender(cfg: SmtpConfig, from: string): EmailSender {
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    auth: cfg.user ? { user: cfg.user, pass: cfg.password } : undefined,
    // A plain-text local sink offers no STARTTLS; a real relay does and nodemailer uses it.
    ignoreTLS: !cfg.secure && cfg.host === '127.0.0.1',
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(to, subject, text) {
      const info = await transport.sendMail({ from, to, subject, text });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
