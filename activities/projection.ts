/**
 * Projection writes: the `workflow_instances` and `workflow_executions` rows
 * that lists and reports read. Each write is an upsert keyed by ids that are
 * stable across retries, so running one twice changes nothing.
 */
import { showSecretMarkers } from '../interpreter/secret-refs';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
  type RunMigration,
  type RunStatus,
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
} from '../db/schema';
import type { ApprovalRequest, ApprovalResult, RunProgress, StepRecord } from '../interpreter/engine';
import { isRefusal, resolvePin } from '../runs/pin';
import { markRunStarted, type RunFacts } from '../runs/run-row';
import type { PinnedDefinition } from '../workflows/types';
import { FAILURES } from '../lib/failures';
import { permanentFailure } from './errors';
import { notifyApprovalChange, notifyRunChange, notifyRunChanges } from '../db/run-events';
import { storedForm } from '../db/approval-forms';

/** Who the run is (runs/run-row.ts) and when the workflow began it. */
export interface RunStartedInput extends RunFacts {
  startedAt: string;
}

export interface StepInput {
  tenantId: string;
  runId: string;
  step: StepRecord;
  progress: RunProgress;
  /** When the workflow made this write (its time, and a count within the run): the newer progress wins. */
  stamp?: { at: number; count: number };
}

export interface RunMigratedInput {
  tenantId: string;
  runId: string;
  versionId: string;
  version: number;
  migration: RunMigration;
  /** Steps the run waits in, by their old and new step keys. */
  renamedSteps: Array<{ from: string; to: string; nodeId: string }>;
  /** The approvals it waits on, under their new step keys and node ids. */
  approvals: Array<{ approvalId: string; stepKey: string; nodeId: string }>;
}

export interface RunFinishedInput {
  tenantId: string;
  runId: string;
  status: RunStatus;
  output: unknown;
  error: unknown;
  completedAt: string;
}

const TERMINAL: RunStatus[] = ['completed', 'failed', 'cancelled'];
const FINAL_STEP: Array<'completed' | 'failed' | 'skipped'> = ['completed', 'failed', 'skipped'];

/** `<runId>:<stepKey>`, where the step key is `<loop scope><nodeId>:<visit>`: stable across retries. */
export const executionId = (runId: string, stepKey: string) => `${runId}:${stepKey}`;

export function createProjectionActivities(db: Db) {
  return {
    /**
     * Inserts the row of a run Temporal started (a schedule's, a child), or moves ours on to running (runs/run-row.ts).
     */
    async recordRunStarted(input: RunStartedInput): Promise<void> {
      await markRunStarted(db, input, new Date(input.startedAt));
    },

    /** One step, as runs before 'projection-batches' write them (one local activity a step). */
    async recordStep({ tenantId, runId, step, progress, stamp }: StepInput): Promise<void> {
      await db.transaction(async (tx) => {
        await upsertSteps(tx, tenantId, runId, [step]);
        await advanceProgress(tx, tenantId, runId, progress, stamp);
      });
      await notifyRunChange(db, { tenantId, runId, kind: 'step' });
    },

    /**
     * What a run did in one workflow task, in one transaction: its start, its steps (the last record of each), its
     * progress, its end. Since 'projection-batches' a run writes this way, a statement or two per task instead of a
     * local activity per step record.
     */
    async recordBatch(batch: ProjectionBatch): Promise<void> {
      const { tenantId, runId } = batch;
      await db.transaction(async (tx) => {
        if (batch.started) await markRunStarted(tx, batch.started, new Date(batch.started.startedAt));
        if (batch.steps.length) await upsertSteps(tx, tenantId, runId, latestOfEach(batch.steps));
        // A run's end sets its progress (100, no current steps) itself.
        if (batch.finished) await closeRun(tx, batch.finished);
        else if (batch.progress) await advanceProgress(tx, tenantId, runId, batch.progress, batch.stamp);
      });
      // Whoever follows the run hears of each kind of change the batch made.
      await notifyRunChanges(db, [
        ...(batch.steps.length ? [{ tenantId, runId, kind: 'step' as const }] : []),
        ...(batch.finished || batch.started ? [{ tenantId, runId, kind: 'run' as const }] : []),
      ]);
    },

    async setRunStatus(input: { tenantId: string; runId: string; status: 'running' | 'paused' }): Promise<void> {
      await db
        .update(workflowInstances)
        .set({ status: input.status, updatedAt: sql`now()` })
        .where(
          and(
            eq(workflowInstances.id, input.runId),
            eq(workflowInstances.tenantId, input.tenantId),
            notInArray(workflowInstances.status, TERMINAL),
          ),
        );
      await notifyRunChange(db, { tenantId: input.tenantId, runId: input.runId, kind: 'run' });
    },

    async recordApprovalRequested(input: {
      tenantId: string;
      runId: string;
      approvalId: string;
      stepKey: string;
      request: ApprovalRequest;
    }): Promise<void> {
      const { request } = input;
      await db
        .insert(workflowApprovals)
        .values({
          id: input.approvalId,
          tenantId: input.tenantId,
          instanceId: input.runId,
          executionId: executionId(input.runId, input.stepKey),
          nodeId: request.nodeId,
          approverRoles: request.approverRoles,
          approverUsers: request.approverUsers,
          quorum: request.quorum,
          outcomes: request.outcomes,
          message: request.message,
          expiresAt: request.expiresAt === null ? null : new Date(request.expiresAt),
          form: storedForm(request.form),
          dueAt: typeof request.dueAt === 'number' ? new Date(request.dueAt) : null,
        })
        .onConflictDoNothing();
      await notifyRunChange(db, { tenantId: input.tenantId, runId: input.runId, kind: 'approval' });
    },

    /**
     * A run moved to another version (workflows/migration.ts): its row takes the version and the move, and the steps
     * and approvals it waits on take their new names. Run twice (a retried local activity), it changes nothing more.
     */
    async recordRunMigrated(input: RunMigratedInput): Promise<void> {
      const { tenantId, runId } = input;
      await db.transaction(async (tx) => {
        await tx
          .update(workflowInstances)
          .set({
            workflowVersionId: input.versionId,
            version: input.version,
            migrations: sql`CASE WHEN ${workflowInstances.migrations} @> ${JSON.stringify([{ at: input.migration.at }])}::jsonb
              THEN ${workflowInstances.migrations}
              ELSE ${workflowInstances.migrations} || ${JSON.stringify([input.migration])}::jsonb END`,
            updatedAt: sql`now()`,
          })
          .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, tenantId)));
        // An approval names its step's row: let go of it while the row takes its new name, then name it again.
        for (const approval of input.approvals) {
          await tx
            .update(workflowApprovals)
            .set({ executionId: null })
            .where(and(eq(workflowApprovals.id, approval.approvalId), eq(workflowApprovals.tenantId, tenantId)));
        }
        for (const step of input.renamedSteps) {
          const to = executionId(runId, step.to);
          await tx
            .update(workflowExecutions)
            .set({ id: to, nodeId: step.nodeId })
            .where(
              and(
                eq(workflowExecutions.id, executionId(runId, step.from)),
                eq(workflowExecutions.tenantId, tenantId),
                sql`NOT EXISTS (SELECT 1 FROM workflow_executions WHERE id = ${to})`,
              ),
            );
        }
        for (const approval of input.approvals) {
          await tx
            .update(workflowApprovals)
            .set({ nodeId: approval.nodeId, executionId: executionId(runId, approval.stepKey) })
            .where(and(eq(workflowApprovals.id, approval.approvalId), eq(workflowApprovals.tenantId, tenantId)));
        }
      });
      await notifyRunChange(db, { tenantId, runId, kind: 'run' });
    },

    async recordApprovalEscalated(input: {
      tenantId: string;
      approvalId: string;
      approverRoles: string[];
    }): Promise<void> {
      await db
        .update(workflowApprovals)
        .set({ approverRoles: input.approverRoles })
        .where(and(eq(workflowApprovals.id, input.approvalId), eq(workflowApprovals.tenantId, input.tenantId)));
      await notifyApprovalChange(db, input.tenantId, input.approvalId);
    },

    async recordApprovalClosed(input: {
      tenantId: string;
      approvalId: string;
      result: ApprovalResult;
      closedAt: string;
    }): Promise<void> {
      const { result } = input;
      // Stored as itself: `expired`, or the outcome decided (`approved`, `rejected`, `changes_requested` …).
      const status = result.outcome;
      await db
        .update(workflowApprovals)
        .set({
          status,
          outcome: result.outcome,
          decidedBy: result.decidedBy,
          respondedAt: new Date(input.closedAt),
          votes: result.votes,
          rejectionReason: status === 'rejected' ? result.comment : null,
        })
        .where(and(eq(workflowApprovals.id, input.approvalId), eq(workflowApprovals.tenantId, input.tenantId)));
      await notifyApprovalChange(db, input.tenantId, input.approvalId);
    },

    /** The published version a subworkflow node runs: the one it names, else the latest (runs/pin.ts). */
    async resolveDefinition(input: {
      tenantId: string;
      workflowId: string;
      version: number | null;
    }): Promise<PinnedDefinition> {
      const pin = await resolvePin(db, input.tenantId, input.workflowId, input.version ?? undefined);
      if (!isRefusal(pin)) return pin.definition;
      // Retrying cannot change any of these: the parent's step fails with the reason.
      switch (pin.reason) {
        case 'no-workflow':
          throw permanentFailure(`workflow "${input.workflowId}" does not exist`, FAILURES.SubworkflowNotFound);
        case 'archived':
          throw permanentFailure(
            `workflow "${pin.workflow.name}" is archived and starts no runs`,
            FAILURES.SubworkflowArchived,
          );
        case 'not-published':
        case 'no-such-version':
          throw permanentFailure(
            `workflow "${pin.workflow.name}" has no published version${input.version === null ? '' : ` ${input.version}`}`,
            FAILURES.SubworkflowNotPublished,
          );
      }
    },

    async recordRunFinished(input: RunFinishedInput): Promise<void> {
      await closeRun(db, input);
      await notifyRunChange(db, { tenantId: input.tenantId, runId: input.runId, kind: 'run' });
    },
  };
}

/** A run's projection writes of one workflow task (workflows/projection-writer.ts gathers them). */
export interface ProjectionBatch {
  tenantId: string;
  runId: string;
  started?: RunStartedInput;
  /** In the order the run recorded them; a step recorded twice (begun, then finished) keeps its last record. */
  steps: StepRecord[];
  /** The run's progress after the last of them, stamped so an older write never replaces a newer one. */
  progress?: RunProgress;
  stamp?: { at: number; count: number };
  finished?: RunFinishedInput;
  /** Platform events the run emits (`run.completed` …): sent once the rows are written (activities/index.ts). */
  events?: Array<{ name: string; payload: unknown; idempotencyKey: string }>;
}

/** Each step's last record, in the order the steps first appear (one statement may not update a row twice). */
function latestOfEach(steps: StepRecord[]): StepRecord[] {
  const byKey = new Map<string, StepRecord>();
  for (const step of steps) byKey.set(step.stepKey, step);
  return [...byKey.values()];
}

const FINAL_STEP_LIST = sql.raw(FINAL_STEP.map((status) => `'${status}'`).join(', '));

/** Inserts or moves on the rows of steps (at most one record per step). */
async function upsertSteps(db: Db, tenantId: string, runId: string, steps: StepRecord[]): Promise<void> {
  const rows = steps.map((step) => {
    const startedAt = new Date(step.startedAt);
    const completedAt = step.completedAt === null ? null : new Date(step.completedAt);
    return {
      id: executionId(runId, step.stepKey),
      tenantId,
      instanceId: runId,
      nodeId: step.nodeId,
      nodeType: step.nodeType,
      label: step.label,
      visit: step.visit,
      seq: step.seq ?? 0,
      status: step.status,
      handle: step.handle,
      // A step's input holds the markers of the secrets it will use; people read them as the definition wrote them.
      input: showSecretMarkers(step.input ?? null),
      output: step.output ?? null,
      error: step.error,
      attempt: Math.max(1, step.attempt),
      startedAt,
      completedAt,
      durationMs: completedAt ? completedAt.getTime() - startedAt.getTime() : null,
    };
  });
  await db
    .insert(workflowExecutions)
    .values(rows)
    // The first write's start time stands: a later write of the same step (a retry, a continued run) only moves it on.
    .onConflictDoUpdate({
      target: workflowExecutions.id,
      set: {
        status: sql`excluded.status`,
        handle: sql`excluded.handle`,
        input: sql`excluded.input`,
        output: sql`excluded.output`,
        error: sql`excluded.error`,
        attempt: sql`excluded.attempt`,
        completedAt: sql`excluded.completed_at`,
        durationMs: sql`case when excluded.completed_at is null then null else (extract(epoch from excluded.completed_at - ${workflowExecutions.startedAt}) * 1000)::int end`,
      },
      // Writes may land out of order (the workflow does not wait for them): a step that finished stays finished.
      setWhere: sql`${workflowExecutions.status} not in (${FINAL_STEP_LIST}) or excluded.status in (${FINAL_STEP_LIST})`,
    });
}

/** The run's progress and current steps, unless the run closed or a newer write got there first. */
async function advanceProgress(
  db: Db,
  tenantId: string,
  runId: string,
  progress: RunProgress,
  stamp: { at: number; count: number } | undefined,
): Promise<void> {
  await db
    .update(workflowInstances)
    .set({
      progress: progress.progress,
      currentSteps: progress.currentSteps,
      updatedAt: sql`now()`,
      ...(stamp ? { progressAt: stamp.at, progressCount: stamp.count } : {}),
    })
    .where(
      and(
        eq(workflowInstances.id, runId),
        eq(workflowInstances.tenantId, tenantId),
        notInArray(workflowInstances.status, TERMINAL),
        // Writes behind the run may land out of order: an older progress does not replace a newer one.
        ...(stamp
          ? [sql`(${workflowInstances.progressAt}, ${workflowInstances.progressCount}) < (${stamp.at}, ${stamp.count})`]
          : []),
      ),
    );
}

/** Closes the run's row, and its approvals still open: they can no longer be decided. */
async function closeRun(db: Db, input: RunFinishedInput): Promise<void> {
  // `cancelled` with a cancelled run, else `expired` (another branch ended the run first).
  await db
    .update(workflowApprovals)
    .set({
      status: input.status === 'cancelled' ? 'cancelled' : 'expired',
      respondedAt: new Date(input.completedAt),
    })
    .where(
      and(
        eq(workflowApprovals.instanceId, input.runId),
        eq(workflowApprovals.tenantId, input.tenantId),
        eq(workflowApprovals.status, 'pending'),
      ),
    );
  await db
    .update(workflowInstances)
    .set({
      status: input.status,
      output: input.output ?? null,
      error: input.error ?? null,
      progress: 100,
      currentSteps: [],
      completedAt: new Date(input.completedAt),
      updatedAt: sql`now()`,
    })
    .where(and(eq(workflowInstances.id, input.runId), eq(workflowInstances.tenantId, input.tenantId)));
}
