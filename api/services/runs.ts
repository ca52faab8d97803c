/**
 * Starting runs: the one path every trigger uses. The run's definition is
 * pinned to a published version; its id is the Temporal workflow id.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { and, eq, ne } from 'drizzle-orm';
import type { Config } from '../../config';
import type { Db } from '../../db/client';
import { type Priority, workflowInstances, workflowVariables } from '../../db/schema';
import type { TriggerInfo } from '../../interpreter/engine';
import type { Definition } from '../../interpreter/schema';
import type { runGraph } from '../../workflows/run-graph';
import { RunStatusKey, TenantKey, VersionKey, WorkflowIdKey, WorkflowNameKey } from '../../workflows/search-attributes';
import type { RunGraphInput } from '../../workflows/types';
import type { Caller } from '../auth';
import { badRequest, conflict, HttpProblem } from '../errors';
import { claimRunKey, stableHash } from '../idempotency';
import { getVersion, getWorkflow } from './definitions';
import { checkInput } from './input-schema';

export interface RunDeps {
  db: Db;
  temporal: Client;
  config: Config;
}

export interface StartRunRequest {
  workflowId: string;
  input: unknown;
  priority?: Priority;
  version?: number;
  /** Makes a retried start start one run: the key names the run for IDEMPOTENCY_TTL. */
  idempotencyKey?: string;
  /** The run id to use (webhooks derive it from the delivery id); overrides idempotencyKey. */
  runId?: string;
  trigger?: TriggerInfo;
}

/** Who starts a run: a caller of the API, or a trigger acting for a tenant (no user). */
export type Starter = Pick<Caller, 'tenantId'> & { userId: string | null };

export interface StartedRun {
  runId: string;
  workflowId: string;
  version: number;
  status: string;
  /** False when the run id was already started (a retried request or a redelivery): nothing new was started. */
  created: boolean;
}

/** A tenant's variables as templates read them (`{{ vars.NAME }}`); secrets are not among them. */
export async function tenantVariables(db: Db, tenantId: string): Promise<Record<string, unknown>> {
  const rows = await db.select({ key: workflowVariables.key, value: workflowVariables.value }).from(workflowVariables).where(and(eq(workflowVariables.tenantId, tenantId), ne(workflowVariables.type, 'secret')));
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export const newRunId = () => `run-${randomUUID()}`;

export async function startRun(deps: RunDeps, caller: Starter, request: StartRunRequest): Promise<StartedRun> {
  const { db, temporal, config } = deps;
  const workflow = await getWorkflow(db, caller, request.workflowId);
  if (workflow.status === 'archived') throw conflict('This workflow is archived: it starts no new runs.');
  const version = await getVersion(db, caller, workflow.id, request.version);
  const graph = version.workflowData as Definition;
  // Run input is JSON: a mapping that rendered an unknown path leaves the key out, as JSON would.
  const input: unknown = JSON.parse(JSON.stringify(request.input ?? {}));
  const problems = checkInput(graph.inputSchema, input, version.contentHash);
  if (problems.length) throw badRequest(`The input does not match the workflow's inputSchema (${problems.length} problem(s)); no run was started.`, problems);

  const priority = request.priority ?? 'normal';
  // A key names the run it first started for IDEMPOTENCY_TTL, whatever became of that run; then it may start another.
  const runId = request.runId
    ?? (request.idempotencyKey
      ? await claimRunKey(db, config.idempotencyTtlMs, { tenantId: caller.tenantId, workflowId: workflow.id, key: request.idempotencyKey, request: { input, version: request.version ?? null, priority }, runId: newRunId() })
      : newRunId());
  const trigger: TriggerInfo = request.trigger ?? { type: 'manual' };
  const inserted = await db
    .insert(workflowInstances)
    .values({
      id: runId,
      tenantId: caller.tenantId,
      workflowId: workflow.id,
      workflowVersionId: version.id,
      version: version.version,
      status: 'pending',
      priority,
      input: input as object,
      triggeredBy: caller.userId,
      triggerSource: trigger.type,
    })
    .onConflictDoNothing()
    .returning({ id: workflowInstances.id });
  if (inserted.length === 0) {
    const existing = (await db.select().from(workflowInstances).where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, caller.tenantId))).limit(1))[0];
    if (!existing || stableHash(existing.input) !== stableHash(input) || (request.version !== undefined && existing.version !== request.version)) {
      throw conflict('This delivery or Idempotency-Key already started a run with a different input or version. Use a new key for a new run.', { runId });
    }
    // Started before (the run has moved on): answer it. Only a run still `pending` may be one whose start never reached Temporal.
    if (existing.status !== 'pending') return { runId, workflowId: workflow.id, version: existing.version, status: existing.status, created: false };
  }

  const args: RunGraphInput = {
    tenantId: caller.tenantId,
    definition: { workflowId: workflow.id, versionId: version.id, version: version.version, contentHash: version.contentHash, name: workflow.name, graph },
    input,
    trigger,
    triggeredBy: caller.userId,
    priority,
    historyLimit: config.runHistoryLimit,
    variables: await tenantVariables(db, caller.tenantId),
  };
  let created = true;
  try {
    await temporal.workflow.start<typeof runGraph>('runGraph', {
      taskQueue: config.temporal.taskQueue,
      workflowId: runId,
      // One execution per run id, ever: a repeat after the run closed must not run it again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [args],
      typedSearchAttributes: [
        { key: WorkflowNameKey, value: workflow.name },
        { key: WorkflowIdKey, value: workflow.id },
        { key: VersionKey, value: version.version },
        { key: RunStatusKey, value: 'pending' },
        { key: TenantKey, value: caller.tenantId },
      ],
      staticSummary: `${workflow.name} v${version.version}`,
    });
  } catch (error) {
    created = false;
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      if (inserted.length) await db.delete(workflowInstances).where(and(eq(workflowInstances.id, runId), eq(workflowInstances.status, 'pending')));
      throw new HttpProblem(503, 'temporal-unavailable', `The run could not be started: ${(error as Error).message}. Nothing was started; retry later.`);
    }
  }
  const row = (await db.select({ status: workflowInstances.status, version: workflowInstances.version }).from(workflowInstances).where(eq(workflowInstances.id, runId)).limit(1))[0];
  return { runId, workflowId: workflow.id, version: row?.version ?? version.version, status: row?.status ?? 'pending', created };
}
