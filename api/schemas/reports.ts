/** What `GET /api/reports/workflows/:id` answers (api/services/reports.ts computes it): one component each. */
import { z } from 'zod';
import { REPORT_PERIODS, RUN_STATUSES } from '../../db/schema';
import { emailAddress } from '../params';

const Milliseconds = z.number().int().min(0).nullable();

export const Percentiles = z
  .strictObject({
    p50: Milliseconds,
    p95: Milliseconds,
    estimated: z
      .literal(true)
      .optional()
      .meta({
        description:
          'Present when read from stored period reports: estimated from duration histograms, within 4.9% of ' +
          '(the exact figure + 1 ms); absent when computed exactly (percentile_cont)',
      }),
  })
  .meta({ id: 'Percentiles', description: 'Milliseconds (percentile_cont); null when nothing was measured' });

const count = z.number().int().min(0);

const range = {
  from: z.iso.datetime({ offset: true }).meta({ description: 'Runs created at or after this moment' }),
  to: z.iso.datetime({ offset: true }).meta({ description: 'Runs created before this moment' }),
};

const runFigures = {
  runs: z.strictObject({
    total: count,
    byStatus: z.strictObject(
      Object.fromEntries(RUN_STATUSES.map((s) => [s, count])) as Record<(typeof RUN_STATUSES)[number], typeof count>,
    ),
  }),
  successRate: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .meta({ description: 'Completed runs among the finished (completed, failed, cancelled); null while none has' }),
  duration: Percentiles.meta({ description: 'From start to finish of the finished runs' }),
};

export const WorkflowReport = z
  .strictObject({
    workflowId: z.uuid(),
    ...range,
    ...runFigures,
    nodes: z.array(
      z.strictObject({
        nodeId: z.string(),
        label: z.string().nullable(),
        executions: count.meta({ description: 'Steps of this node that ran (skipped ones are not counted)' }),
        failures: count,
        duration: Percentiles,
      }),
    ),
    approvals: z.strictObject({
      decided: count,
      pending: count,
      timeToDecision: Percentiles.meta({ description: 'From request to decision, of the decided approvals' }),
      byApprover: z.array(
        z.strictObject({
          approver: z.string().meta({ description: 'Who decided: a user id, or what the deciding link named' }),
          email: z.string().nullable(),
          decided: count,
          timeToDecision: Percentiles,
        }),
      ),
    }),
    stored: z
      .strictObject({
        from: z.iso.datetime({ offset: true }),
        to: z.iso.datetime({ offset: true }),
        days: count,
      })
      .optional()
      .meta({
        description:
          'Present when whole days of the range were read from stored period reports (the rest live): which days. ' +
          'Counts stay exact; percentiles are then estimated',
      }),
  })
  .meta({ id: 'WorkflowReport' });

export const ReportOverview = z
  .strictObject({
    ...range,
    totals: z.strictObject(runFigures).meta({ description: "Every run of the tenant's workflows in the range" }),
    workflows: z
      .array(z.strictObject({ workflowId: z.uuid(), name: z.string(), ...runFigures }))
      .meta({ description: 'Each workflow with a run in the range, most runs first' }),
  })
  .meta({ id: 'ReportOverview' });

export const ReportPeriod = z.enum(REPORT_PERIODS).meta({ description: 'A UTC day, a week from Monday, a month' });

export const StoredPeriods = z
  .strictObject({
    workflowId: z.uuid(),
    period: ReportPeriod,
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    periods: z
      .array(
        WorkflowReport.omit({ workflowId: true, from: true, to: true, stored: true }).extend({
          start: z.iso.datetime({ offset: true }),
          end: z.iso.datetime({ offset: true }),
          computedAt: z.iso.datetime({ offset: true }),
        }),
      )
      .meta({ description: 'Each computed period starting in the range, oldest first; percentiles estimated' }),
  })
  .meta({ id: 'StoredPeriods' });

export const ReportSubscription = z
  .strictObject({
    period: ReportPeriod,
    recipients: z
      .array(emailAddress)
      .max(50)
      .meta({ description: "Who receives each closed period's summary by email; empty: nobody" }),
  })
  .meta({ id: 'ReportSubscription' });

export const ReportSubscriptions = z
  .strictObject({ subscriptions: z.array(ReportSubscription) })
  .meta({ id: 'ReportSubscriptions' });
