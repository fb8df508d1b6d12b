import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ComplianceSummary } from '../activities/compliance';
import { previousIstMonth } from '../src/compliance/aml';

const { produceComplianceReports, startNotifications } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 5 },
});

export interface ComplianceReportInput {
  /** YYYY-MM; by default the IST month before the run started (the schedule runs on the 1st). */
  month?: string;
  email: string;
}

/**
 * The monthly AML report (the `compliance-monthly` schedule, src/compliance/schedule.ts): STR and
 * CTR candidates of the previous IST month, mailed to compliance through the alert queue (retried
 * there for a day; one mail per run, however often an activity is retried).
 */
export async function complianceReportWorkflow(input: ComplianceReportInput): Promise<ComplianceSummary> {
  const info = workflowInfo();
  const month = input.month ?? previousIstMonth(info.runStartTime);
  const summary = await produceComplianceReports({ month });
  await startNotifications({
    idPrefix: `compliance-${info.workflowId}-${info.runId}`,
    messages: [{ channel: 'email', to: input.email, subject: summary.subject, body: summary.body }],
  });
  return summary;
}
