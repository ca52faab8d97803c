/**
 * Stored period reports (migration 0015): each closed day, week and month's figures per workflow and client, which
 * periods of a tenant were computed, and who receives each period's summary by email.
 */
import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantId } from './access';
import { oneOf, updatedAt } from './columns';
import { workflows } from './definitions';

export const REPORT_PERIODS = ['day', 'week', 'month'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

const period = () => text('period', { enum: REPORT_PERIODS }).notNull();
const periodStart = () => timestamp('period_start', { withTimezone: true, mode: 'date' }).notNull();
const computedAt = () => timestamp('computed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const workflowReports = pgTable(
  'workflow_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** The runs' client; null for the runs without one (not "every client"). */
    clientId: uuid('client_id'),
    period: period(),
    periodStart: periodStart(),
    /** reports/period-metrics.ts's `PeriodMetrics`. */
    metrics: jsonb('metrics').notNull(),
    computedAt: computedAt(),
  },
  (t) => [
    // One row for the runs without a client, too: the client is coalesced to the nil UUID in the key.
    uniqueIndex('workflow_reports_key').on(
      t.tenantId,
      t.workflowId,
      sql`coalesce(${t.clientId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      t.period,
      t.periodStart,
    ),
    index('workflow_reports_workflow_period').on(t.workflowId, t.period, t.periodStart),
    check('workflow_reports_period', oneOf('period', REPORT_PERIODS)),
  ],
);

export const reportPeriods = pgTable(
  'report_periods',
  { tenantId: tenantId(), period: period(), periodStart: periodStart(), computedAt: computedAt() },
  (t) => [
    primaryKey({ name: 'report_periods_pkey', columns: [t.tenantId, t.period, t.periodStart] }),
    check('report_periods_period', oneOf('period', REPORT_PERIODS)),
  ],
);

export const reportSubscriptions = pgTable(
  'report_subscriptions',
  {
    tenantId: tenantId(),
    period: period(),
    recipients: text('recipients').array().notNull().default([]),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ name: 'report_subscriptions_pkey', columns: [t.tenantId, t.period] }),
    check('report_subscriptions_period', oneOf('period', REPORT_PERIODS)),
  ],
);
