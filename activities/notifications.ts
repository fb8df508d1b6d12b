import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { EmailSender } from '../src/notify/email';
import type { SmsSender } from '../src/notify/sms';

export interface NotificationDeps {
  sms: SmsSender;
  email: EmailSender;
  /** To start notification workflows from money workflows' activities. */
  temporal: Client;
  taskQueue: string;
}

export type Notification =
  { channel: 'sms'; to: string; body: string } | { channel: 'email'; to: string; subject: string; body: string };

export function createNotificationActivities({ sms, email, temporal, taskQueue }: NotificationDeps) {
  return {
    async sendNotification(n: Notification): Promise<string> {
      if (n.channel === 'sms') return (await sms.send(n.to, n.body)).sid;
      return (await email.send(n.to, n.subject, n.body)).messageId;
    },

    /**
     * Hands each message to its own notificationWorkflow (which retries delivery for a day) and
     * returns at once. Started from an activity rather than as child workflows: the money
     * workflow's history grows by one event instead of a child start round trip per message,
     * and nothing about a message can hold it up. Ids make a replayed start a no-op.
     */
    async startNotifications(input: { idPrefix: string; messages: Notification[] }): Promise<void> {
      for (const n of input.messages) {
        try {
          await temporal.workflow.start('notificationWorkflow', {
            workflowId: `${input.idPrefix}-${n.channel}`,
            taskQueue,
            args: [n],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
    },
  };
}
