import type { Db } from '../src/db/knex';
import { queueAlerts } from '../src/events/alerts';
import type { EmailSender } from '../src/notify/email';
import type { SmsSender } from '../src/notify/sms';

export interface NotificationDeps {
  sms: SmsSender;
  email: EmailSender;
  db: Db;
}

export type Notification =
  { channel: 'sms'; to: string; body: string } | { channel: 'email'; to: string; subject: string; body: string };

export function createNotificationActivities({ sms, email, db }: NotificationDeps) {
  return {
    /** The one activity of notificationWorkflow, which runs on only for runs started before the alert queue. */
    async sendNotification(n: Notification): Promise<string> {
      if (n.channel === 'sms') return (await sms.send(n.to, n.body)).sid;
      return (await email.send(n.to, n.subject, n.body)).messageId;
    },

    /**
     * Queues operations alerts (a gateway refund due, a failed reconciliation) for the event
     * dispatcher's alert sender, which retries them for a day; returns at once. Keys make a
     * replayed call a no-op. (It started one notificationWorkflow per message before; the name
     * stays, as recorded histories call it by it.)
     */
    async startNotifications(input: { idPrefix: string; messages: Notification[] }): Promise<void> {
      await queueAlerts(
        db,
        input.messages.map((n) => ({
          key: input.idPrefix,
          channel: n.channel,
          userId: null,
          recipient: n.to,
          body: n.body,
          ...(n.channel === 'email' ? { subject: n.subject } : {}),
        })),
      );
    },
  };
}
