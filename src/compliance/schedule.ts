import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import type { Config } from '../config';

export const COMPLIANCE_SCHEDULE_ID = 'compliance-monthly';
export const complianceWorkflowType = 'complianceReportWorkflow';

function action(config: Config): ScheduleOptionsAction {
  return {
    type: 'startWorkflow',
    workflowType: complianceWorkflowType,
    workflowId: 'compliance-monthly-report',
    taskQueue: config.temporal.taskQueue,
    args: [{ email: config.compliance.email }],
  };
}

/**
 * Creates the monthly compliance schedule, or brings an existing one in line with the configuration
 * (task queue, recipient): safe to call from every worker at start. It fires on the 1st at 00:30
 * UTC (06:00 IST), after the IST month has ended; a run missed by up to a week is caught up.
 */
export async function ensureComplianceSchedule(
  client: Client,
  config: Config,
): Promise<{ scheduleId: string; created: boolean }> {
  const spec = { calendars: [{ dayOfMonth: 1, hour: 0, minute: 30 }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' as const };
  try {
    await client.schedule.create({ scheduleId: COMPLIANCE_SCHEDULE_ID, spec, action: action(config), policies });
    return { scheduleId: COMPLIANCE_SCHEDULE_ID, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(COMPLIANCE_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action: action(config),
    policies: { ...previous.policies, ...policies },
  }));
  return { scheduleId: COMPLIANCE_SCHEDULE_ID, created: false };
}
