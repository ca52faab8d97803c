/**
 * The run's row in `workflow_instances`: who a run is (tenant, workflow, pinned version, input, trigger,
 * requester, priority) is written once, by whoever creates the run.
 *
 * - Runs we start (the API, webhooks, events): runs/start.ts inserts the row, `pending`, before asking Temporal,
 *   so a retried request or redelivery finds it, and a start Temporal refused can be taken back.
 * - Runs Temporal starts (a schedule firing, a subworkflow's child): nobody saw them coming, so the workflow's
 *   first projection write (`recordRunStarted`) inserts the row.
 *
 * Either way `markRunStarted` then moves the row to `running`; for a run we started, that is all it changes.
 */
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type Priority, type RunStatus, type TRIGGER_TYPES, workflowInstances } from '../db/schema';

export interface RunFacts {
  runId: string;
  tenantId: string;
  workflowId: string;
  versionId: string;
  version: number;
  input: unknown;
  /** The user who asked for the run; null for a trigger acting for the tenant. */
  triggeredBy: string | null;
  triggerSource: (typeof TRIGGER_TYPES)[number];
  priority: Priority;
  /** Null or absent: the insert trigger of migration 0013 gives the run its workflow's client. */
  clientId?: string | null;
  /** The run this one retries (afresh or resuming its failed step). */
  retryOf?: string | null;
}

const TERMINAL: RunStatus[] = ['completed', 'failed', 'cancelled'];

function rowOf(facts: RunFacts) {
  return {
    id: facts.runId,
    tenantId: facts.tenantId,
    workflowId: facts.workflowId,
    workflowVersionId: facts.versionId,
    version: facts.version,
    priority: facts.priority,
    input: facts.input ?? null,
    triggeredBy: facts.triggeredBy,
    triggerSource: facts.triggerSource,
    clientId: facts.clientId ?? null,
    retryOf: facts.retryOf ?? null,
  };
}

/** Records a run about to be started; false when the run id already names a run (a repeat), which is left as it is. */
export async function insertPendingRun(db: Db, facts: RunFacts): Promise<boolean> {
  const inserted = await db
    .insert(workflowInstances)
    .values({ ...rowOf(facts), status: 'pending' })
    .onConflictDoNothing()
    .returning({ id: workflowInstances.id });
  return inserted.length > 0;
}

/** Takes back a run whose start Temporal refused: only while it is still `pending`, so no started run is lost. */
export async function forgetUnstartedRun(db: Db, runId: string): Promise<void> {
  await db
    .delete(workflowInstances)
    .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.status, 'pending')));
}

/**
 * The run began: inserts the row of a run Temporal started, or moves ours on from `pending` to `running`. The start
 * may be written after the run was paused (it rode with the run's first work): a paused run stays paused, a closed
 * run closed.
 */
export async function markRunStarted(db: Db, facts: RunFacts, startedAt: Date): Promise<void> {
  await db
    .insert(workflowInstances)
    .values({ ...rowOf(facts), status: 'running', startedAt })
    .onConflictDoUpdate({
      target: workflowInstances.id,
      set: {
        status: sql`case when ${workflowInstances.status} = 'pending' then 'running' else ${workflowInstances.status} end`,
        startedAt,
        updatedAt: sql`now()`,
      },
      setWhere: notInArray(workflowInstances.status, TERMINAL),
    });
}
