import { createNotificationActivities, type NotificationDeps } from './notifications';

export type ActivityDeps = NotificationDeps;

/** All activities, built from their dependencies by the worker's composition root. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createNotificationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
