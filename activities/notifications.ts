import type { EmailSender } from '../src/notify/email';
import type { SmsSender } from '../src/notify/sms';

export interface NotificationDeps {
  sms: SmsSender;
  email: EmailSender;
}

export type Notification =
  { channel: 'sms'; to: string; body: string } | { channel: 'email'; to: string; subject: string; body: string };

export function createNotificationActivities({ sms, email }: NotificationDeps) {
  return {
    async sendNotification(n: Notification): Promise<string> {
      if (n.channel === 'sms') return (await sms.send(n.to, n.body)).sid;
      return (await email.send(n.to, n.subject, n.body)).messageId;
    },
  };
}
