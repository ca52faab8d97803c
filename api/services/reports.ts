/**
 * A workflow's report (`GET /api/reports/workflows/:id`), computed in SQL over the projection tables: the runs
 * created in a range, and the steps and approvals of those runs. Percentiles are PostgreSQL's `percentile_cont`
 * (linear interpolation), so the figures match what an analyst gets from the same rows; every query is scoped to
 * one tenant and starts from the `(workflow_id, created_at)` index.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { users, workflowApprovals, workflowExecutions, workflowInstances, workflows } from '../../db/schema';
import {
  approvalDecided,
  approvalWaitMs,
  count,
  inGraphOrder,
  readPercentiles,
  readRunFigures,
  type ReportScope,
  type RunFigures,
  runDurationMs,
  runMeasured,
  runsOf,
  statusCounts,
  type WorkflowReport,
} from '../../reports/definitions';

export type { Percentiles, ReportScope, RunFigures, WorkflowReport } from '../../reports/definitions';
export { runsOf } from '../../reports/definitions';

const percentiles = (expression: SQL, filter: SQL) => ({
  p50: sql<unknown>`percentile_cont(0.5) within group (order by ${expression}) filter (where ${filter})`,
  p95: sql<unknown>`percentile_cont(0.95) within group (order by ${expression}) filter (where ${filter})`,
});

export async function workflowReport(db: Db, scope: ReportScope): Promise<WorkflowReport> {
  const runsInRange = runsOf(scope.tenantId, scope.from, scope.to, scope.workflowId, scope.clientId);
  const [runs, nodes, approvals] = await Promise.all([
    db.select(runColumns()).from(workflowInstances).where(runsInRange),
    nodeFigures(db, scope.tenantId, runsInRange),
    approvalFigures(db, scope.tenantId, runsInRange),
  ]);
  return { ...readRunFigures(runs[0]), nodes, approvals };
}

export interface Overview {
  totals: RunFigures;
  /** Each workflow with a run in the range, most runs first. */
  workflows: Array<RunFigures & { workflowId: string; name: string }>;
}

/** `GET /api/reports/overview`: the run figures of every workflow of the tenant, and of all of them together. */
export async function overviewReport(db: Db, scope: Omit<ReportScope, 'workflowId'>): Promise<Overview> {
  const runsInRange = runsOf(scope.tenantId, scope.from, scope.to, undefined, scope.clientId);
  const [totals, perWorkflow] = await Promise.all([
    db.select(runColumns()).from(workflowInstances).where(runsInRange),
    db
      .select({ workflowId: workflowInstances.workflowId, name: workflows.name, ...runColumns() })
      .from(workflowInstances)
      .innerJoin(workflows, eq(workflows.id, workflowInstances.workflowId))
      .where(runsInRange)
      .groupBy(workflowInstances.workflowId, workflows.name),
  ]);
  return {
    totals: readRunFigures(totals[0]),
    workflows: perWorkflow
      .map((row) => ({ workflowId: row.workflowId, name: row.name, ...readRunFigures(row) }))
      .sort((a, b) => b.runs.total - a.runs.total || a.name.localeCompare(b.name)),
  };
}

/** One aggregate row of runs: a count per status and the duration percentiles of the finished ones. */
function runColumns() {
  return { ...statusCounts(), ...percentiles(runDurationMs, runMeasured) };
}

async function nodeFigures(db: Db, tenantId: string, runsInRange: SQL | undefined) {
  const e = workflowExecutions;
  // A skipped step never ran: it is neither an execution nor a failure.
  const ran = sql`${e.status} <> 'skipped'`;
  const rows = await db
    .select({
      nodeId: e.nodeId,
      // The label of the newest step: a node renamed in a later version shows its current name.
      label: sql<
        string | null
      >`(array_agg(${e.label} order by ${e.startedAt} desc) filter (where ${e.label} is not null))[1]`,
      executions: count(ran),
      failures: count(sql`${e.status} = 'failed'`),
      firstSeq: sql<number>`min(${e.seq})`.mapWith(Number),
      ...percentiles(sql`${e.durationMs}`, sql`${ran} and ${e.durationMs} is not null`),
    })
    .from(e)
    .innerJoin(workflowInstances, eq(workflowInstances.id, e.instanceId))
    .where(and(eq(e.tenantId, tenantId), runsInRange))
    .groupBy(e.nodeId);
  return inGraphOrder(rows).map((row) => ({
    nodeId: row.nodeId,
    label: row.label,
    executions: row.executions,
    failures: row.failures,
    duration: readPercentiles(row),
  }));
}

async function approvalFigures(db: Db, tenantId: string, runsInRange: SQL | undefined) {
  const a = workflowApprovals;
  const decided = approvalDecided;
  const waitMs = approvalWaitMs;
  const ofRuns = and(eq(a.tenantId, tenantId), runsInRange);
  const [totals, approvers] = await Promise.all([
    db
      .select({
        decided: count(decided),
        pending: count(sql`${a.status} = 'pending'`),
        ...percentiles(waitMs, decided),
      })
      .from(a)
      .innerJoin(workflowInstances, eq(workflowInstances.id, a.instanceId))
      .where(ofRuns),
    db
      .select({
        approver: sql<string>`coalesce(${a.decidedBy}, 'unknown')`,
        email: sql<string | null>`max(${users.email})`,
        decided: count(),
        ...percentiles(waitMs, sql`true`),
      })
      .from(a)
      .innerJoin(workflowInstances, eq(workflowInstances.id, a.instanceId))
      // decidedBy is a user id for decisions made with a key; anything else (a link's email) stays as it is.
      .leftJoin(users, and(eq(sql`${users.id}::text`, a.decidedBy), eq(users.tenantId, tenantId)))
      .where(and(ofRuns, decided))
      .groupBy(sql`coalesce(${a.decidedBy}, 'unknown')`),
  ]);
  const total = totals[0] ?? { decided: 0, pending: 0, p50: null, p95: null };
  return {
    decided: total.decided,
    pending: total.pending,
    timeToDecision: readPercentiles(total),
    byApprover: approvers
      .map((row) => ({
        approver: row.approver,
        email: row.email,
        decided: row.decided,
        timeToDecision: readPercentiles(row),
      }))
      .sort((x, y) => y.decided - x.decided || x.approver.localeCompare(y.approver)),
  };
}
