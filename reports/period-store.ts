/**
 * Stored period reports: writing a closed period's rows (`storePeriod`, run by the daily period-reports workflow),
 * turning merged rows into a report's figures, and the periods' UTC bounds (days; weeks from Monday; months).
 */
import { and, eq, gte, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { reportPeriods, type ReportPeriod, workflowReports } from '../db/schema';
import { ESTIMATE_ERROR, estimatePercentile } from './histogram';
import { emptyMetrics, type Measured, mergeInto, type PeriodMetrics, periodMetrics } from './period-metrics';
import { inGraphOrder, readRunFigures, type WorkflowReport } from './definitions';

const DAY_MS = 24 * 3600 * 1000;

/** The start of the period holding `moment`, in UTC. */
export function periodStartOf(period: ReportPeriod, moment: Date): Date {
  const day = Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate());
  if (period === 'day') return new Date(day);
  if (period === 'week') return new Date(day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), 1));
}

/** The period starting at `start`: [start, end). */
export function periodEnd(period: ReportPeriod, start: Date): Date {
  if (period === 'day') return new Date(start.getTime() + DAY_MS);
  if (period === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** The periods that closed at the start of `today` (UTC): yesterday, last week on Mondays, last month on the 1st. */
export function periodsClosedAt(today: Date): Array<{ period: ReportPeriod; start: Date }> {
  const midnight = periodStartOf('day', today);
  const closed: Array<{ period: ReportPeriod; start: Date }> = [
    { period: 'day', start: new Date(midnight.getTime() - DAY_MS) },
  ];
  if (periodStartOf('week', midnight).getTime() === midnight.getTime())
    closed.push({ period: 'week', start: new Date(midnight.getTime() - 7 * DAY_MS) });
  if (midnight.getUTCDate() === 1)
    closed.push({ period: 'month', start: periodStartOf('month', new Date(midnight.getTime() - DAY_MS)) });
  return closed;
}

/** How long after its period closes a stored row is computed again each night, to count runs that finished late. */
export const REFRESH_DAYS = 7;

/**
 * What the night of `today` stores: the periods that just closed, and those that closed in the REFRESH_DAYS before
 * (the days, the last week, the last month), so a run still in flight at midnight is counted as it ended once it
 * ends within that time. A run in flight longer keeps, in stored rows, the status it had then.
 */
export function periodsToStore(today: Date): Array<{ period: ReportPeriod; start: Date }> {
  const midnight = periodStartOf('day', today).getTime();
  const out: Array<{ period: ReportPeriod; start: Date }> = [];
  for (let back = 1; back <= REFRESH_DAYS; back++)
    out.push({ period: 'day', start: new Date(midnight - back * DAY_MS) });
  for (const period of ['week', 'month'] as const) {
    const last = periodStartOf(period, new Date(periodStartOf(period, new Date(midnight)).getTime() - DAY_MS));
    if (midnight - periodEnd(period, last).getTime() < REFRESH_DAYS * DAY_MS) out.push({ period, start: last });
  }
  return out;
}

/**
 * Computes and stores one period of a tenant: a row per workflow and client with runs in it, the rows of pairs
 * that no longer have any removed, and the period marked computed. Running it twice stores the same rows.
 */
export async function storePeriod(db: Db, tenantId: string, period: ReportPeriod, start: Date): Promise<number> {
  const end = periodEnd(period, start);
  const groups = await periodMetrics(db, { tenantId, ranges: [{ from: start, to: end }] });
  const computedAt = new Date();
  // Replaced whole in one transaction: a rerun stores the same rows, and a concurrent one fails on the unique key
  // (its activity retries) rather than doubling a row.
  await db.transaction(async (tx) => {
    await tx
      .delete(workflowReports)
      .where(
        and(
          eq(workflowReports.tenantId, tenantId),
          eq(workflowReports.period, period),
          eq(workflowReports.periodStart, start),
        ),
      );
    if (groups.length)
      await tx
        .insert(workflowReports)
        .values(groups.map((g) => ({ tenantId, ...g, period, periodStart: start, computedAt })));
    await tx
      .insert(reportPeriods)
      .values({ tenantId, period, periodStart: start, computedAt })
      .onConflictDoUpdate({
        target: [reportPeriods.tenantId, reportPeriods.period, reportPeriods.periodStart],
        set: { computedAt },
      });
  });
  return groups.length;
}

/** The computed periods of a tenant that start in [from, to), oldest first. */
export async function computedPeriods(
  db: Db,
  tenantId: string,
  period: ReportPeriod,
  from: Date,
  to: Date,
): Promise<Array<{ start: Date; computedAt: Date }>> {
  const rows = await db
    .select({ start: reportPeriods.periodStart, computedAt: reportPeriods.computedAt })
    .from(reportPeriods)
    .where(
      and(
        eq(reportPeriods.tenantId, tenantId),
        eq(reportPeriods.period, period),
        gte(reportPeriods.periodStart, from),
        lt(reportPeriods.periodStart, to),
      ),
    )
    .orderBy(reportPeriods.periodStart);
  return rows;
}

/** A report's figures from merged period metrics: counts exact, percentiles estimated (marked so). */
export function figuresOf(metrics: PeriodMetrics): WorkflowReport {
  const estimated = (m: Measured) => ({
    p50: estimatePercentile(m.histogram, 0.5),
    p95: estimatePercentile(m.histogram, 0.95),
    ...(m.count ? { estimated: true as const } : {}),
  });
  const { runs, successRate } = readRunFigures(metrics.runs.byStatus);
  return {
    runs,
    successRate,
    duration: estimated(metrics.duration),
    nodes: inGraphOrder(metrics.nodes).map((n) => ({
      nodeId: n.nodeId,
      label: n.label,
      executions: n.executions,
      failures: n.failures,
      duration: estimated(n.duration),
    })),
    approvals: {
      decided: metrics.approvals.decided,
      pending: metrics.approvals.pending,
      timeToDecision: estimated(metrics.approvals.timeToDecision),
      byApprover: metrics.approvals.byApprover
        .map((x) => ({
          approver: x.approver,
          email: x.email,
          decided: x.decided,
          timeToDecision: estimated(x.timeToDecision),
        }))
        .sort((x, y) => y.decided - x.decided || x.approver.localeCompare(y.approver)),
    },
  };
}

/** Said beside every estimated percentile's schema and in the contract. */
export const ESTIMATE_NOTE = `estimated from stored duration histograms: within ${(ESTIMATE_ERROR * 100).toFixed(1)}% of (the exact figure + 1 ms)`;

/** `GET /api/reports/periods`: each computed period starting in [from, to), merged over the workflow's clients. */
export async function storedPeriods(
  db: Db,
  scope: {
    tenantId: string;
    workflowId: string;
    period: ReportPeriod;
    clientId?: string | undefined;
    from: Date;
    to: Date;
  },
) {
  const [computed, rows] = await Promise.all([
    computedPeriods(db, scope.tenantId, scope.period, scope.from, scope.to),
    db
      .select({ start: workflowReports.periodStart, metrics: workflowReports.metrics })
      .from(workflowReports)
      .where(
        and(
          eq(workflowReports.tenantId, scope.tenantId),
          eq(workflowReports.workflowId, scope.workflowId),
          eq(workflowReports.period, scope.period),
          gte(workflowReports.periodStart, scope.from),
          lt(workflowReports.periodStart, scope.to),
          scope.clientId ? eq(workflowReports.clientId, scope.clientId) : undefined,
        ),
      ),
  ]);
  return computed.map(({ start, computedAt }) => {
    const merged = emptyMetrics();
    for (const row of rows)
      if (row.start.getTime() === start.getTime()) mergeInto(merged, row.metrics as PeriodMetrics);
    return {
      start: start.toISOString(),
      end: periodEnd(scope.period, start).toISOString(),
      computedAt: computedAt.toISOString(),
      ...figuresOf(merged),
    };
  });
}
