/**
 * The platform's one Schedule of its own: `graphflow-period-reports` starts the `periodReports` workflow daily at
 * 00:10 UTC (ten minutes of grace for runs created just before midnight to be projected). Created at worker start;
 * one that exists already is left as it is, so every worker of a cluster may try.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

export const PERIOD_REPORTS_SCHEDULE_ID = 'graphflow-period-reports';

export async function ensurePeriodReportSchedule(temporal: Client, taskQueue: string): Promise<'created' | 'exists'> {
  try {
    await temporal.schedule.create({
      scheduleId: PERIOD_REPORTS_SCHEDULE_ID,
      spec: { calendars: [{ hour: 0, minute: 10, comment: 'daily, 00:10 UTC' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'periodReports',
        workflowId: PERIOD_REPORTS_SCHEDULE_ID,
        taskQueue,
        args: [{}],
      },
      // A day missed while the cluster was down is caught up within a day; two never run at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
    return 'created';
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return 'exists';
    throw error;
  }
}
