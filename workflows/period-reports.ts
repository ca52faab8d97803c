/**
 * `periodReports`: started daily shortly after midnight UTC by the `graphflow-period-reports` Schedule (created at
 * worker start, reports/schedule.ts). For every tenant it stores the periods that closed at
 * midnight (yesterday; last week on Mondays; last month on the 1st) and emails each one's summary to the tenant's
 * recipients. It only calls activities, each idempotent: a rerun for the same day stores the same rows and sends
 * nothing twice.
 */
import { ApplicationFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const reports = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // An SMTP server that says "try later" gets about a minute and a half over five attempts.
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', backoffCoefficient: 3 },
});

export interface PeriodReportsInput {
  /** The day whose midnight closed the periods (ISO); default: the day this run started (UTC). */
  today?: string;
  /** Only these tenants (a recomputation by hand); default: every tenant. */
  tenantIds?: string[];
}

export interface PeriodReportsResult {
  tenants: number;
  periods: number;
  emailsSent: number;
  /** Tenants whose periods or emails failed for good (the others are not held up by them). */
  failed: string[];
}

export async function periodReports(input: PeriodReportsInput = {}): Promise<PeriodReportsResult> {
  const today = input.today ?? workflowInfo().runStartTime.toISOString();
  const tenants = input.tenantIds ?? (await reports.reportTenants());
  const result: PeriodReportsResult = { tenants: tenants.length, periods: 0, emailsSent: 0, failed: [] };
  for (const tenantId of tenants) {
    try {
      const closed = await reports.storeClosedPeriods({ tenantId, today });
      result.periods += closed.length;
      for (const ref of closed) result.emailsSent += await reports.emailPeriodSummary({ tenantId, ...ref });
    } catch (error) {
      log.warn('period reports failed for a tenant', { tenantId, error: (error as Error).message });
      result.failed.push(tenantId);
    }
  }
  if (result.failed.length === tenants.length && tenants.length > 0)
    throw ApplicationFailure.nonRetryable(`period reports failed for every tenant (${tenants.length})`);
  return result;
}
