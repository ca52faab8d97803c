/**
 * Projection writes: the `workflow_instances` and `workflow_executions` rows
 * that lists and reports read. Each write is an upsert keyed by ids that are
 * stable across retries, so running one twice changes nothing.
 */
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type Priority, type RunStatus, workflowExecutions, workflowInstances } from '../db/schema';
import type { RunProgress, StepRecord } from '../interpreter/engine';

export interface RunStartedInput {
  tenantId: string;
  runId: string;
  workflowId: string;
  versionId: string;
  version: number;
  input: unknown;
  triggeredBy: string | null;
  triggerSource: 'manual' | 'webhook' | 'schedule' | 'event';
  priority: Priority;
  startedAt: string;
}

export interface StepInput {
  tenantId: string;
  runId: string;
  step: StepRecord;
  progress: RunProgress;
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

export const executionId = (runId: string, nodeId: string, visit: number) => `${runId}:${nodeId}:${visit}`;

export function createProjectionActivities(db: Db) {
  return {
    async recordRunStarted(input: RunStartedInput): Promise<void> {
      await db
        .insert(workflowInstances)
        .values({
          id: input.runId,
          tenantId: input.tenantId,
          workflowId: input.workflowId,
          workflowVersionId: input.versionId,
          version: input.version,
          status: 'running',
          priority: input.priority,
          input: input.input ?? null,
          triggeredBy: input.triggeredBy,
          triggerSource: input.triggerSource,
          startedAt: new Date(input.startedAt),
        })
        .onConflictDoUpdate({
          target: workflowInstances.id,
          set: { status: 'running', startedAt: new Date(input.startedAt), updatedAt: sql`now()` },
          setWhere: notInArray(workflowInstances.status, TERMINAL),
        });
    },

    async recordStep({ tenantId, runId, step, progress }: StepInput): Promise<void> {
      const startedAt = new Date(step.startedAt);
      const completedAt = step.completedAt === null ? null : new Date(step.completedAt);
      const row = {
        status: step.status,
        handle: step.handle,
        input: step.input ?? null,
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
          .values({ id: executionId(runId, step.nodeId, step.visit), tenantId, instanceId: runId, nodeId: step.nodeId, nodeType: step.nodeType, label: step.label, visit: step.visit, ...row })
          .onConflictDoUpdate({ target: workflowExecutions.id, set: row });
        await tx
          .update(workflowInstances)
          .set({ progress: progress.progress, currentSteps: progress.currentSteps, updatedAt: sql`now()` })
          .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, tenantId), notInArray(workflowInstances.status, TERMINAL)));
      });
    },

    async recordRunFinished(input: RunFinishedInput): Promise<void> {
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
    },
  };
}
