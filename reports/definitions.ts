/**
 * What the live report (api/services/reports.ts) and stored period reports (reports/period-metrics.ts) share: which
 * runs a range holds, which count as finished, measured or decided, and how durations are taken, so both count the
 * same rows the same way.
 */
import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { RUN_STATUSES, workflowApprovals, workflowInstances } from '../db/schema';

/** Runs that can no longer change: the only ones with a duration and a success or a failure. */
export const FINISHED = ['completed', 'failed', 'cancelled'] as const;
/** Approval statuses that are not a decision: still open, or closed without one. */
export const UNDECIDED = ['pending', 'expired', 'cancelled'] as const;

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  /** Read from stored period reports' histograms (reports/histogram.ts). */
  estimated?: true;
}

export interface WorkflowReport {
  runs: { total: number; byStatus: Record<(typeof RUN_STATUSES)[number], number> };
  /** Completed runs among the finished ones; null while none has finished. */
  successRate: number | null;
  duration: Percentiles;
  nodes: Array<{ nodeId: string; label: string | null; executions: number; failures: number; duration: Percentiles }>;
  approvals: {
    decided: number;
    pending: number;
    timeToDecision: Percentiles;
    byApprover: Array<{ approver: string; email: string | null; decided: number; timeToDecision: Percentiles }>;
  };
}

export interface ReportScope {
  tenantId: string;
  workflowId: string;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Only the runs for this client. */
  clientId?: string | undefined;
}

/** Milliseconds, rounded: percentiles of timestamps come back with microsecond fractions nobody needs. */
const ms = (value: unknown): number | null =>
  value === null || value === undefined ? null : Math.round(Number(value));

export const readPercentiles = (row: { p50: unknown; p95: unknown }): Percentiles => ({
  p50: ms(row.p50),
  p95: ms(row.p95),
});
export const inList = (column: SQL | typeof workflowInstances.status, values: readonly string[]) =>
  sql`${column} in (${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;

export const count = (filter?: SQL) =>
  filter
    ? sql<number>`(count(*) filter (where ${filter}))::int`.mapWith(Number)
    : sql<number>`count(*)::int`.mapWith(Number);

/** The runs of a tenant created in [from, to); `workflowId` and `clientId` narrow them. */
export function runsOf(
  tenantId: string,
  from: Date,
  to: Date,
  workflowId?: string,
  clientId?: string,
): SQL | undefined {
  return and(
    eq(workflowInstances.tenantId, tenantId),
    workflowId ? eq(workflowInstances.workflowId, workflowId) : undefined,
    clientId ? eq(workflowInstances.clientId, clientId) : undefined,
    gte(workflowInstances.createdAt, from),
    lt(workflowInstances.createdAt, to),
  );
}

export type RunFigures = Pick<WorkflowReport, 'runs' | 'successRate' | 'duration'>;

/** A run's duration in ms, and which runs have one: the finished, started and completed. */
export const runDurationMs = sql`extract(epoch from (${workflowInstances.completedAt} - ${workflowInstances.startedAt})) * 1000`;
export const runMeasured = sql`${inList(workflowInstances.status, FINISHED)} and ${workflowInstances.startedAt} is not null and ${workflowInstances.completedAt} is not null`;
/** An approval's time to decision in ms, and which approvals were decided. */
export const approvalWaitMs = sql`extract(epoch from (${workflowApprovals.respondedAt} - ${workflowApprovals.requestedAt})) * 1000`;
export const approvalDecided = sql`not ${inList(sql`${workflowApprovals.status}`, UNDECIDED)} and ${workflowApprovals.respondedAt} is not null`;
/** A count per run status. */
export const statusCounts = () =>
  Object.fromEntries(
    RUN_STATUSES.map((status) => [status, count(sql`${workflowInstances.status} = ${status}`)]),
  ) as Record<(typeof RUN_STATUSES)[number], ReturnType<typeof count>>;

/** A report lists nodes in the order runs reach them (the first step's sequence number), then by id. */
export function inGraphOrder<T extends { firstSeq: number; nodeId: string }>(nodes: readonly T[]): T[] {
  return [...nodes].sort((a, b) => a.firstSeq - b.firstSeq || a.nodeId.localeCompare(b.nodeId));
}

export function readRunFigures(row: Record<string, unknown> | undefined): RunFigures {
  const byStatus = Object.fromEntries(
    RUN_STATUSES.map((s) => [s, Number(row?.[s] ?? 0)]),
  ) as RunFigures['runs']['byStatus'];
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const finishedRuns = FINISHED.reduce((sum, s) => sum + byStatus[s], 0);
  return {
    runs: { total, byStatus },
    successRate: finishedRuns ? byStatus.completed / finishedRuns : null,
    duration: readPercentiles({ p50: row?.p50, p95: row?.p95 }),
  };
}
