/**
 * A period's figures in the form stored period reports keep (`workflow_reports.metrics`): per workflow and client,
 * what adds up exactly across periods (counts per status, failures, decisions, sums) and a duration histogram
 * (reports/histogram.ts) in place of each percentile. The rows are chosen by the live report's own
 * definitions (`runsOf`, the finished and decided filters, the same duration expressions), so a stored day holds the
 * live report's counts for that day, and its percentiles to within the histogram's bound.
 */
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { RUN_STATUSES, users, workflowApprovals, workflowExecutions, workflowInstances } from '../db/schema';
import { addInto, bucketOf, type Histogram } from './histogram';
import { approvalDecided, approvalWaitMs, runDurationMs, runMeasured, runsOf } from './definitions';

export interface Measured {
  count: number;
  sumMs: number;
  histogram: Histogram;
}

export interface PeriodMetrics {
  runs: { byStatus: Record<(typeof RUN_STATUSES)[number], number> };
  duration: Measured;
  nodes: Array<{
    nodeId: string;
    label: string | null;
    /** When the step that gave the label started: the newest label wins when periods merge. */
    labelAt: string | null;
    firstSeq: number;
    executions: number;
    failures: number;
    duration: Measured;
  }>;
  approvals: {
    decided: number;
    pending: number;
    timeToDecision: Measured;
    byApprover: Array<{ approver: string; email: string | null; decided: number; timeToDecision: Measured }>;
  };
}

export interface PeriodScope {
  tenantId: string;
  /** The runs created in any of these half-open ranges (a report's two live edges are read in one pass). */
  ranges: Array<{ from: Date; to: Date }>;
  workflowId?: string | undefined;
  clientId?: string | undefined;
}

/** A (workflow, client) pair's figures; `clientId` null is the runs without a client. */
export interface GroupMetrics {
  workflowId: string;
  clientId: string | null;
  metrics: PeriodMetrics;
}

export const emptyMetrics = (): PeriodMetrics => ({
  runs: { byStatus: Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as PeriodMetrics['runs']['byStatus'] },
  duration: { count: 0, sumMs: 0, histogram: {} },
  nodes: [],
  approvals: { decided: 0, pending: 0, timeToDecision: { count: 0, sumMs: 0, histogram: {} }, byApprover: [] },
});

const emptyMeasured = (): Measured => ({ count: 0, sumMs: 0, histogram: {} });
const i = workflowInstances;
const e = workflowExecutions;
const a = workflowApprovals;
const num = (value: unknown) => Number(value ?? 0);

/**
 * Each (workflow, client)'s figures over the runs created in the scope's ranges: four statements (runs, steps,
 * approvals, approvers), each counting per duration bucket first and then per group, so a group's counts and its
 * histogram come from one pass over its rows.
 */
export async function periodMetrics(db: Db, scope: PeriodScope): Promise<GroupMetrics[]> {
  const runs = or(...scope.ranges.map((r) => runsOf(scope.tenantId, r.from, r.to, scope.workflowId, scope.clientId)));
  const stepsOfRuns = and(eq(e.tenantId, scope.tenantId), runs);
  const approvalsOfRuns = and(eq(a.tenantId, scope.tenantId), runs);
  // decidedBy is a user id for decisions made with a key; anything else (a link's email) stays as it is.
  const approver = sql`coalesce(${a.decidedBy}, 'unknown')`;
  const ran = sql`${e.status} <> 'skipped'`;
  const stepMeasured = sql`${ran} and ${e.durationMs} is not null`;
  const statuses = RUN_STATUSES.map((status) => sql.raw(`"${status}"`));
  const [runRows, nodeRows, approvalRows, approverRows] = await Promise.all([
    twoLevel(db, {
      from: sql`${i}`,
      where: runs,
      measured: runMeasured,
      durationMs: runDurationMs,
      inner: sql.join(
        RUN_STATUSES.map((status, k) => sql`count(*) filter (where ${i.status} = ${status}) as ${statuses[k]}`),
        sql`, `,
      ),
      outer: sql.join(
        statuses.map((name) => sql`sum(${name})::int as ${name}`),
        sql`, `,
      ),
    }),
    twoLevel(db, {
      from: sql`${e} inner join ${i} on ${i.id} = ${e.instanceId}`,
      where: stepsOfRuns,
      measured: stepMeasured,
      durationMs: sql`${e.durationMs}`,
      key: sql`${e.nodeId}`,
      inner: sql`(array_agg(${e.label} order by ${e.startedAt} desc) filter (where ${e.label} is not null))[1] as label,
        max(${e.startedAt}) filter (where ${e.label} is not null) as label_at,
        count(*) filter (where ${ran}) as executions, count(*) filter (where ${e.status} = 'failed') as failures,
        min(${e.seq}) as first_seq`,
      outer: sql`(array_agg(label order by label_at desc nulls last))[1] as label, max(label_at) as label_at,
        sum(executions)::int as executions, sum(failures)::int as failures, min(first_seq)::int as first_seq`,
    }),
    twoLevel(db, {
      from: sql`${a} inner join ${i} on ${i.id} = ${a.instanceId}`,
      where: approvalsOfRuns,
      measured: approvalDecided,
      durationMs: approvalWaitMs,
      inner: sql`count(*) filter (where ${a.status} = 'pending') as pending`,
      outer: sql`sum(pending)::int as pending`,
    }),
    twoLevel(db, {
      from: sql`${a} inner join ${i} on ${i.id} = ${a.instanceId}
        left join ${users} on ${users.id}::text = ${a.decidedBy} and ${users.tenantId} = ${scope.tenantId}`,
      where: and(approvalsOfRuns, approvalDecided),
      measured: approvalDecided,
      durationMs: approvalWaitMs,
      key: approver,
      inner: sql`max(${users.email}) as email`,
      outer: sql`max(email) as email`,
    }),
  ]);

  const groups = new Map<string, GroupMetrics>();
  const metricsOf = (row: GroupRow) => {
    const key = `${row.workflow_id}/${row.client_id ?? ''}`;
    let found = groups.get(key);
    if (!found)
      groups.set(key, (found = { workflowId: row.workflow_id, clientId: row.client_id, metrics: emptyMetrics() }));
    return found.metrics;
  };
  const measuredOf = (row: GroupRow): Measured => ({
    count: num(row.measured),
    sumMs: num(row.sum_ms),
    histogram: row.histogram ?? {},
  });

  for (const row of runRows) {
    const m = metricsOf(row);
    for (const status of RUN_STATUSES) m.runs.byStatus[status] = num(row[status]);
    m.duration = measuredOf(row);
  }
  for (const row of nodeRows)
    metricsOf(row).nodes.push({
      nodeId: String(row.key),
      label: (row.label as string | null) ?? null,
      labelAt: row.label_at ? new Date(row.label_at as string).toISOString() : null,
      firstSeq: num(row.first_seq),
      executions: num(row.executions),
      failures: num(row.failures),
      duration: measuredOf(row),
    });
  for (const row of approvalRows) {
    const m = metricsOf(row);
    m.approvals.decided = num(row.measured);
    m.approvals.pending = num(row.pending);
    m.approvals.timeToDecision = measuredOf(row);
  }
  for (const row of approverRows)
    metricsOf(row).approvals.byApprover.push({
      approver: String(row.key),
      email: (row.email as string | null) ?? null,
      decided: num(row.measured),
      timeToDecision: measuredOf(row),
    });
  return [...groups.values()];
}

interface GroupRow extends Record<string, unknown> {
  workflow_id: string;
  client_id: string | null;
  key?: unknown;
  measured: unknown;
  sum_ms: unknown;
  histogram: Histogram | null;
}

/**
 * One statement: rows grouped by (workflow, client[, key], duration bucket) with the `inner` aggregates, then by
 * (workflow, client[, key]) with the `outer` ones over those, plus how many rows were measured, their sum, and the
 * histogram of their buckets. Unmeasured rows fall in no bucket.
 */
async function twoLevel(
  db: Db,
  q: { from: SQL; where: SQL | undefined; measured: SQL; durationMs: SQL; key?: SQL; inner: SQL; outer: SQL },
): Promise<GroupRow[]> {
  const key = q.key ? sql`, ${q.key} as key` : sql``;
  const keyName = q.key ? sql`, key` : sql``;
  const result = await db.execute(sql`
    select workflow_id, client_id${keyName}, ${q.outer},
      sum(measured)::int as measured, coalesce(sum(sum_ms), 0)::float8 as sum_ms,
      jsonb_object_agg(bucket, measured) filter (where bucket is not null) as histogram
    from (
      select ${i.workflowId} as workflow_id, ${i.clientId} as client_id${key},
        case when ${q.measured} then ${bucketOf(q.durationMs)} end as bucket, ${q.inner},
        count(*) filter (where ${q.measured}) as measured,
        sum(${q.durationMs}) filter (where ${q.measured}) as sum_ms
      from ${q.from}
      where ${q.where}
      group by 1, 2${q.key ? sql`, 3, 4` : sql`, 3`}
    ) as buckets
    group by workflow_id, client_id${keyName}`);
  return ((result as { rows?: GroupRow[] }).rows ?? (result as unknown as GroupRow[])) as GroupRow[];
}

/** `source` added into `target`: every count, sum and histogram, the newest label, the earliest position. */
export function mergeInto(target: PeriodMetrics, source: PeriodMetrics): PeriodMetrics {
  for (const status of RUN_STATUSES) target.runs.byStatus[status] += source.runs.byStatus[status] ?? 0;
  mergeMeasured(target.duration, source.duration);
  for (const node of source.nodes) {
    const found = target.nodes.find((n) => n.nodeId === node.nodeId);
    if (!found) {
      target.nodes.push({ ...node, duration: mergeMeasured(emptyMeasured(), node.duration) });
      continue;
    }
    found.executions += node.executions;
    found.failures += node.failures;
    found.firstSeq = Math.min(found.firstSeq, node.firstSeq);
    if (node.labelAt && (!found.labelAt || node.labelAt > found.labelAt)) {
      found.label = node.label;
      found.labelAt = node.labelAt;
    }
    mergeMeasured(found.duration, node.duration);
  }
  target.approvals.decided += source.approvals.decided;
  target.approvals.pending += source.approvals.pending;
  mergeMeasured(target.approvals.timeToDecision, source.approvals.timeToDecision);
  for (const entry of source.approvals.byApprover) {
    const found = target.approvals.byApprover.find((x) => x.approver === entry.approver);
    if (!found) {
      target.approvals.byApprover.push({
        ...entry,
        timeToDecision: mergeMeasured(emptyMeasured(), entry.timeToDecision),
      });
      continue;
    }
    found.decided += entry.decided;
    found.email ??= entry.email;
    mergeMeasured(found.timeToDecision, entry.timeToDecision);
  }
  return target;
}

function mergeMeasured(target: Measured, source: Measured): Measured {
  target.count += source.count;
  target.sumMs += source.sumMs;
  addInto(target.histogram, source.histogram);
  return target;
}
