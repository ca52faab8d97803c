/**
 * Moving a running run to another published version of its workflow (`POST /api/runs/:id/migrate`). The API checks
 * what it can know alone (the run still runs, the version is published and is another one); the run's Update validator
 * has the last word on where the run stands (workflows/migration.ts), so a run that moved on meanwhile is judged where
 * it is, not where it was.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { workflowInstances } from '../../db/schema';
import { Conflict, InvalidDefinition, NotFound } from '../../lib/domain-errors';
import { FAILURES } from '../../lib/failures';
import { findVersion, findWorkflow, pinnedDefinition } from '../../runs/pin';
import { migrateUpdate } from '../../workflows/messages';
import type { MigrationAccepted, MigrationProblem } from '../../workflows/migration';
import { droppedWithWorkflowTask, sendUpdate } from './update-sends';

type RunRow = typeof workflowInstances.$inferSelect;

export interface MigrateRequest {
  version: number;
  nodeMapping?: Record<string, string>;
}

export interface MigratedRun extends MigrationAccepted {
  runId: string;
  status: 'migrating';
}

const MOVABLE = new Set(['running', 'paused']);

export async function migrateRun(
  deps: { db: Db; temporal: Client },
  by: string,
  run: RunRow,
  request: MigrateRequest,
): Promise<MigratedRun> {
  if (!MOVABLE.has(run.status))
    throw new Conflict(`The run is ${run.status}; only a running or paused run can move to another version.`, {
      runStatus: run.status,
    });
  const versionProblem = (message: string) =>
    new InvalidDefinition(`${message}; the run stays on version ${run.version}.`, [{ path: 'body.version', message }]);
  if (request.version === run.version) throw versionProblem(`the run is already on version ${run.version}`);
  const workflow = await findWorkflow(deps.db, run.tenantId, run.workflowId);
  if (!workflow) throw new NotFound('Workflow', run.workflowId);
  const version = await findVersion(deps.db, run.tenantId, workflow.id, request.version);
  if (!version) throw versionProblem(`workflow "${workflow.name}" has no published version ${request.version}`);

  const input = { definition: pinnedDefinition(workflow, version), nodeMapping: request.nodeMapping ?? {}, by };
  const handle = deps.temporal.workflow.getHandle(run.id);
  const updateId = randomUUID();
  const accepted = await sendUpdate(
    () => handle.executeUpdate(migrateUpdate, { args: [input], updateId }),
    droppedWithWorkflowTask,
    migrationRefusal,
  );
  return { runId: run.id, status: 'migrating', ...accepted };
}

/** The run's refusal (or its closing meanwhile) as the domain error the API answers. */
function migrationRefusal(error: unknown): Error | undefined {
  if (
    error instanceof WorkflowNotFoundError ||
    (error instanceof Error &&
      /already completed/i.test(error.message) &&
      !(error instanceof WorkflowUpdateFailedError))
  )
    return new Conflict('The run has closed; it did not move to another version.');
  if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) return undefined;
  const { type, message } = error.cause;
  if (type === FAILURES.MigrationRefused.type) {
    const details = error.cause.details?.[0] as { problems?: MigrationProblem[] } | undefined;
    const problems = (details?.problems ?? []).map((p) => ({
      // Mapping entries are the request's own; the other problems name the run's nodes.
      path: p.path.startsWith('nodeMapping.') ? `body.${p.path}` : p.path,
      message: p.message,
    }));
    return new InvalidDefinition(message, problems);
  }
  return new Conflict(message, { reason: type });
}
