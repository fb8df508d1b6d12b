import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Notification } from '../activities/notifications';

// A notification outage must never delay money: money workflows start this one as an abandoned
// child and move on, while it keeps retrying for up to a day.
const { sendNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function notificationWorkflow(n: Notification): Promise<string> {
  return sendNotification(n);
}
