import { createNotificationActivities, type NotificationDeps } from './notifications';
import { createTopupActivities, type TopupDeps } from './topups';

export type ActivityDeps = NotificationDeps & TopupDeps;

/** All activities, built from their dependencies by the worker's composition root. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createNotificationActivities(deps),
    ...createTopupActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
