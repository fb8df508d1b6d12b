import { createComplianceActivities, type ComplianceDeps } from './compliance';
import { createEventActivities, type EventDeps } from './events';
import { createKycActivities, type KycDeps } from './kyc';
import { createNotificationActivities, type NotificationDeps } from './notifications';
import { createOpsActivities, type OpsDeps } from './ops';
import { createProviderBalanceActivities, type ProviderBalanceDeps } from './provider-balances';
import { createRechargeActivities, type RechargeDeps } from './recharges';
import { createTopupActivities, type TopupDeps } from './topups';

export type ActivityDeps = NotificationDeps &
  EventDeps &
  TopupDeps &
  RechargeDeps &
  KycDeps &
  OpsDeps &
  ProviderBalanceDeps &
  ComplianceDeps;

/** All activities, built from their dependencies by the worker's composition root. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createNotificationActivities(deps),
    ...createEventActivities(deps),
    ...createTopupActivities(deps),
    ...createRechargeActivities(deps),
    ...createKycActivities(deps),
    ...createOpsActivities(deps),
    ...createProviderBalanceActivities(deps),
    ...createComplianceActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
