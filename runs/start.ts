/**
 * Starting a run: the one path the API, webhooks and events use (schedules and subworkflow nodes pin the same
 * way, through runs/pin.ts, and build the same options, through runs/start-options.ts, but Temporal starts those).
 * The run's definition is pinned to a published version; its id is the Temporal workflow id.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { and, eq, ne } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { type Priority, workflowInstances, workflowVariables } from '../db/schema';
import type { TriggerInfo } from '../interpreter/engine';
import { stableHash } from '../lib/canonical-json';
import { Conflict, InvalidInput, Unavailable } from '../lib/domain-errors';
import type { runGraph } from '../workflows/run-graph';
import type { RunGraphInput } from '../workflows/types';
import { checkInput } from './input-schema';
import { pinVersion } from './pin';
import { claimRunKey } from './run-keys';
import { forgetUnstartedRun, insertPendingRun, type RunFacts } from './run-row';
import { runStartOptions } from './start-options';

export interface StartDeps {
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
export interface Starter {
  tenantId: string;
  userId: string | null;
}

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
  const rows = await db
    .select({ key: workflowVariables.key, value: workflowVariables.value })
    .from(workflowVariables)
    .where(and(eq(workflowVariables.tenantId, tenantId), ne(workflowVariables.type, 'secret')));
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export const newRunId = () => `run-${randomUUID()}`;

export async function startRun(deps: StartDeps, starter: Starter, request: StartRunRequest): Promise<StartedRun> {
  const { db, temporal, config } = deps;
  const { workflow, version, definition } = await pinVersion(db, starter.tenantId, request.workflowId, request.version);
  // Run input is JSON: a mapping that rendered an unknown path leaves the key out, as JSON would.
  const input: unknown = JSON.parse(JSON.stringify(request.input ?? {}));
  const problems = checkInput(definition.graph.inputSchema, input, version.contentHash);
  if (problems.length)
    throw new InvalidInput(
      `The input does not match the workflow's inputSchema (${problems.length} problem(s)); no run was started.`,
      problems,
    );

  const priority = request.priority ?? 'normal';
  // A key names the run it first started for IDEMPOTENCY_TTL, whatever became of that run; then it may start another.
  const runId =
    request.runId ??
    (request.idempotencyKey
      ? await claimRunKey(db, config.idempotencyTtlMs, {
          tenantId: starter.tenantId,
          workflowId: workflow.id,
          key: request.idempotencyKey,
          request: { input, version: request.version ?? null, priority },
          runId: newRunId(),
        })
      : newRunId());
  const trigger: TriggerInfo = request.trigger ?? { type: 'manual' };
  const facts: RunFacts = {
    runId,
    tenantId: starter.tenantId,
    workflowId: workflow.id,
    versionId: version.id,
    version: version.version,
    input,
    triggeredBy: starter.userId,
    triggerSource: trigger.type,
    priority,
  };
  const inserted = await insertPendingRun(db, facts);
  if (!inserted) {
    const existing = (
      await db
        .select()
        .from(workflowInstances)
        .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, starter.tenantId)))
        .limit(1)
    )[0];
    if (
      !existing ||
      stableHash(existing.input) !== stableHash(input) ||
      (request.version !== undefined && existing.version !== request.version)
    ) {
      throw new Conflict(
        'This delivery or Idempotency-Key already started a run with a different input or version. Use a new key for a new run.',
        { runId },
      );
    }
    // Started before (the run has moved on): answer it. Only a run still `pending` may be one whose start never reached
    // Temporal.
    if (existing.status !== 'pending')
      return { runId, workflowId: workflow.id, version: existing.version, status: existing.status, created: false };
  }

  const args: RunGraphInput = {
    tenantId: starter.tenantId,
    definition,
    input,
    trigger,
    triggeredBy: starter.userId,
    priority,
    historyLimit: config.runHistoryLimit,
    variables: await tenantVariables(db, starter.tenantId),
  };
  let created = true;
  try {
    await temporal.workflow.start<typeof runGraph>('runGraph', runStartOptions(config.temporal.taskQueue, runId, args));
  } catch (error) {
    created = false;
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      if (inserted) await forgetUnstartedRun(db, runId);
      throw new Unavailable(
        'temporal',
        `The run could not be started: ${(error as Error).message}. Nothing was started; retry later.`,
      );
    }
  }
  const row = (
    await db
      .select({ status: workflowInstances.status, version: workflowInstances.version })
      .from(workflowInstances)
      .where(eq(workflowInstances.id, runId))
      .limit(1)
  )[0];
  return {
    runId,
    workflowId: workflow.id,
    version: row?.version ?? version.version,
    status: row?.status ?? 'pending',
    created,
  };
}
