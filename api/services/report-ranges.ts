/**
 * A workflow's report over a long range: the whole UTC days that stored period reports cover read from their rows,
 * and only the edges (the part of the range before the first and after the last stored day) from the runs. Counts
 * and rates are exact either way; percentiles become estimates (`estimated: true`, within the histogram's bound,
 * reports/histogram.ts). A range with fewer than MIN_STORED_DAYS stored days stays all live and exact.
 * Whole months inside the stored days are read from their month rows (the same figures, twelve rows for a year).
 *
 * A stored day holds its runs as they were when it was computed (shortly after midnight): a run still in flight
 * then is counted in the status it had, until the day is computed again.
 */
import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { workflowReports } from '../../db/schema';
import { emptyMetrics, mergeInto, type PeriodMetrics, periodMetrics } from '../../reports/period-metrics';
import { computedPeriods, figuresOf, periodEnd } from '../../reports/period-store';
import { type ReportScope, type WorkflowReport, workflowReport } from './reports';

/** Fewer stored days than this and the live SQL is cheap enough, and exact. */
export const MIN_STORED_DAYS = 2;
const DAY_MS = 24 * 3600 * 1000;

export interface StoredSpan {
  from: string;
  to: string;
  days: number;
}

export type RangedReport = WorkflowReport & { stored?: StoredSpan };

interface Block {
  from: Date;
  to: Date;
  /** The computed months inside the block: read from their month rows, the other days from day rows. */
  months: Date[];
}

/**
 * The longest run of consecutive covered days in [from, to), or null when shorter than MIN_STORED_DAYS. A day is
 * covered when it was computed, or when its whole month was and that month lies in the range (a month row cannot be
 * read in part); a month is then either wholly inside the block or wholly outside it.
 */
async function storedBlock(db: Db, tenantId: string, from: Date, to: Date): Promise<Block | null> {
  const firstDay = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const lastEnd = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  if (lastEnd - firstDay < MIN_STORED_DAYS * DAY_MS) return null;
  const [days, months] = await Promise.all([
    computedPeriods(db, tenantId, 'day', new Date(firstDay), new Date(lastEnd)),
    computedPeriods(db, tenantId, 'month', new Date(firstDay), new Date(lastEnd)),
  ]);
  const wholeMonths = months.map((m) => m.start).filter((start) => periodEnd('month', start).getTime() <= lastEnd);
  const covered = new Set(days.map((d) => d.start.getTime()));
  for (const month of wholeMonths)
    for (let day = month.getTime(); day < periodEnd('month', month).getTime(); day += DAY_MS) covered.add(day);
  let best: { from: number; to: number } | null = null;
  let current: { from: number; to: number } | null = null;
  for (const t of [...covered].sort((x, y) => x - y)) {
    current = current && current.to === t ? { from: current.from, to: t + DAY_MS } : { from: t, to: t + DAY_MS };
    if (!best || current.to - current.from > best.to - best.from) best = current;
  }
  if (!best || best.to - best.from < MIN_STORED_DAYS * DAY_MS) return null;
  const { from: blockFrom, to: blockTo } = best;
  return {
    from: new Date(blockFrom),
    to: new Date(blockTo),
    months: wholeMonths.filter((m) => m.getTime() >= blockFrom && m.getTime() < blockTo),
  };
}

/** Which stored rows hold the block: its whole months' rows and its other days' (a year: about 12 + 30 rows). */
function storedRowsOf(block: Block): SQL | undefined {
  const inMonth = (day: number) =>
    block.months.some((m) => day >= m.getTime() && day < periodEnd('month', m).getTime());
  const days: Date[] = [];
  for (let day = block.from.getTime(); day < block.to.getTime(); day += DAY_MS)
    if (!inMonth(day)) days.push(new Date(day));
  return or(
    block.months.length
      ? and(eq(workflowReports.period, 'month'), inArray(workflowReports.periodStart, block.months))
      : undefined,
    days.length ? and(eq(workflowReports.period, 'day'), inArray(workflowReports.periodStart, days)) : undefined,
  );
}

export async function rangedWorkflowReport(db: Db, scope: ReportScope): Promise<RangedReport> {
  const block = await storedBlock(db, scope.tenantId, scope.from, scope.to);
  if (!block) return workflowReport(db, scope);
  const edges = [
    { from: scope.from, to: block.from },
    { from: block.to, to: scope.to },
  ].filter((r) => r.from < r.to);
  const [stored, live] = await Promise.all([
    db
      .select({ metrics: workflowReports.metrics })
      .from(workflowReports)
      .where(
        and(
          eq(workflowReports.tenantId, scope.tenantId),
          eq(workflowReports.workflowId, scope.workflowId),
          scope.clientId ? eq(workflowReports.clientId, scope.clientId) : undefined,
          storedRowsOf(block),
        ),
      ),
    edges.length
      ? periodMetrics(db, {
          tenantId: scope.tenantId,
          workflowId: scope.workflowId,
          clientId: scope.clientId,
          ranges: edges,
        })
      : Promise.resolve([]),
  ]);
  const merged = emptyMetrics();
  for (const row of stored) mergeInto(merged, row.metrics as PeriodMetrics);
  for (const group of live) mergeInto(merged, group.metrics);
  return {
    ...figuresOf(merged),
    stored: {
      from: block.from.toISOString(),
      to: block.to.toISOString(),
      days: Math.round((block.to.getTime() - block.from.getTime()) / DAY_MS),
    },
  };
}
