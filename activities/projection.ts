/**
 * Projection writes: the `workflow_instances` and `workflow_executions` rows
 * that lists and reports read. Each write is an upsert keyed by ids that are
 * stable across retries, so running one twice changes nothing.
 */
import { showSecretMarkers } from '../interpreter/secret-refs';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type RunStatus, workflowApprovals, workflowExecutions, workflowInstances } from '../db/schema';
import type { ApprovalRequest, ApprovalResult, RunProgress, StepRecord } from '../interpreter/engine';
import { isRefusal, resolvePin } from '../runs/pin';
import { markRunStarted, type RunFacts } from '../runs/run-row';
import type { PinnedDefinition } from '../workflows/types';
import { FAILURES } from '../lib/failures';
import { permanentFailure } from './errors';
import { notifyApprovalChange, notifyRunChange } from '../db/run-events';

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

    async recordStep({ tenantId, runId, step, progress, stamp }: StepInput): Promise<void> {
      const startedAt = new Date(step.startedAt);
      const completedAt = step.completedAt === null ? null : new Date(step.completedAt);
      const row = {
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
      await db.transaction(async (tx) => {
        await tx
          .insert(workflowExecutions)
          .values({
            id: executionId(runId, step.stepKey),
            tenantId,
            instanceId: runId,
            nodeId: step.nodeId,
            nodeType: step.nodeType,
            label: step.label,
            visit: step.visit,
            seq: step.seq ?? 0,
            ...row,
          })
          // The first write's start time stands: a later write of the same step (a retry, a continued run) only moves
          // it on.
          .onConflictDoUpdate({
            target: workflowExecutions.id,
            set: {
              ...row,
              startedAt: sql`${workflowExecutions.startedAt}`,
              durationMs: completedAt
                ? sql`(extract(epoch from ${completedAt.toISOString()}::timestamptz - ${workflowExecutions.startedAt}) * 1000)::int`
                : null,
            },
            // Writes may land out of order (the workflow does not wait for them): a step that finished stays finished.
            ...((FINAL_STEP as string[]).includes(step.status)
              ? {}
              : { setWhere: notInArray(workflowExecutions.status, FINAL_STEP) }),
          });
        await tx
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
                ? [
                    sql`(${workflowInstances.progressAt}, ${workflowInstances.progressCount}) < (${stamp.at}, ${stamp.count})`,
                  ]
                : []),
            ),
          );
      });
      await notifyRunChange(db, { tenantId, runId, kind: 'step' });
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
        })
        .onConflictDoNothing();
      await notifyRunChange(db, { tenantId: input.tenantId, runId: input.runId, kind: 'approval' });
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
      // An approval still open when its run closes can no longer be decided: it leaves the inboxes, `cancelled` with a
      // cancelled run, else `expired` (another branch ended the run first).
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
      await notifyRunChange(db, { tenantId: input.tenantId, runId: input.runId, kind: 'run' });
    },
  };
}
