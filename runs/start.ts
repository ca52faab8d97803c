/**
 * Starting a run: the one path the API, webhooks and events use (schedules and subworkflow nodes pin the same
 * way, through runs/pin.ts, and build the same options, through runs/start-options.ts, but Temporal starts those).
 * The run's definition is pinned to a published version; its id is the Temporal workflow id.
 */
import { randomUUID } from 'node:crypto';
import {
  isGrpcDeadlineError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { and, eq, ne } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { type Priority, workflowInstances, workflowVariables } from '../db/schema';
import type { TriggerInfo } from '../interpreter/engine';
import { stableHash } from '../lib/canonical-json';
import { Conflict, InvalidInput, Unavailable } from '../lib/domain-errors';
import type { runGraph } from '../workflows/run-graph';
import type { RunGraphInput, RunSeed } from '../workflows/types';
import { checkInput } from './input-schema';
import { type Pinned, pinVersion } from './pin';
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
  /** What a failed run finished, for a run that resumes it (runs/resume.ts). */
  seed?: RunSeed;
  /** The client the run is for; unset, the run takes its workflow's (migration 0013). */
  clientId?: string;
  /** The run this one retries: its row says so (migration 0016). */
  retryOf?: string;
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

/** The run input as JSON, checked against the pinned version's inputSchema; a mismatch starts nothing. */
export function checkedInput(pin: Pinned, raw: unknown): unknown {
  // Run input is JSON: a mapping that rendered an unknown path leaves the key out, as JSON would.
  const input: unknown = JSON.parse(JSON.stringify(raw ?? {}));
  const problems = checkInput(pin.definition.graph.inputSchema, input, pin.version.contentHash);
  if (problems.length)
    throw new InvalidInput(
      `The input does not match the workflow's inputSchema (${problems.length} problem(s)); no run was started.`,
      problems,
    );
  return input;
}

/** Who the run `runId` is: what its row records. */
export function runFactsOf(
  starter: Starter,
  pin: Pinned,
  runId: string,
  input: unknown,
  request: Pick<StartRunRequest, 'priority' | 'trigger' | 'clientId' | 'retryOf'>,
): RunFacts {
  return {
    runId,
    tenantId: starter.tenantId,
    workflowId: pin.workflow.id,
    versionId: pin.version.id,
    version: pin.version.version,
    input,
    triggeredBy: starter.userId,
    triggerSource: (request.trigger ?? { type: 'manual' }).type,
    priority: request.priority ?? 'normal',
    ...(request.clientId ? { clientId: request.clientId } : {}),
    ...(request.retryOf ? { retryOf: request.retryOf } : {}),
  };
}

/**
 * A run id already names a run: answers it (nothing new starts), or undefined when the run is still `pending`, one
 * whose start may never have reached Temporal, so the caller starts it (Temporal refuses a second start of the id).
 */
export async function existingRun(
  db: Db,
  facts: RunFacts,
  requestedVersion: number | undefined,
): Promise<StartedRun | undefined> {
  const existing = (
    await db
      .select()
      .from(workflowInstances)
      .where(and(eq(workflowInstances.id, facts.runId), eq(workflowInstances.tenantId, facts.tenantId)))
      .limit(1)
  )[0];
  if (
    !existing ||
    stableHash(existing.input) !== stableHash(facts.input) ||
    (requestedVersion !== undefined && existing.version !== requestedVersion)
  ) {
    throw new Conflict(
      'This delivery or Idempotency-Key already started a run with a different input or version. Use a new key for a new run.',
      { runId: facts.runId },
    );
  }
  if (existing.status === 'pending') return undefined;
  return {
    runId: facts.runId,
    workflowId: facts.workflowId,
    version: existing.version,
    status: existing.status,
    created: false,
  };
}

/**
 * Asks Temporal to start the run whose row is written; true when this call started it, false when the id was
 * started before. A start Temporal refused takes back the row `inserted` says this request wrote.
 */
export async function launchRun(
  deps: StartDeps,
  pin: Pinned,
  facts: RunFacts,
  trigger: TriggerInfo | undefined,
  variables: Record<string, unknown>,
  inserted: boolean,
  seed?: RunSeed,
): Promise<boolean> {
  const { db, temporal, config } = deps;
  const args: RunGraphInput = {
    tenantId: facts.tenantId,
    definition: pin.definition,
    input: facts.input,
    trigger: trigger ?? { type: 'manual' },
    triggeredBy: facts.triggeredBy,
    priority: facts.priority,
    historyLimit: config.runHistoryLimit,
    variables,
    ...(seed ? { seed } : {}),
  };
  try {
    await temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      temporal.workflow.start<typeof runGraph>(
        'runGraph',
        runStartOptions(config.temporal.taskQueue, facts.runId, args),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    // A start that ran out of time may have reached the server and started the run before its answer was lost: ask.
    if (isGrpcDeadlineError(error)) {
      const started = await startedAfterAll(temporal, facts.runId);
      if (started) return true;
      if (started === undefined) {
        throw new Unavailable(
          'temporal',
          `Temporal did not answer in time, so it is not known whether run ${facts.runId} started. Retry with the ` +
            `same Idempotency-Key (or delivery) to get that run and start it if it did not.`,
        );
      }
    }
    if (inserted) await forgetUnstartedRun(db, facts.runId);
    throw new Unavailable(
      'temporal',
      `The run could not be started: ${(error as Error).message}. Nothing was started; retry later.`,
    );
  }
}

/**
 * A start and the check after it share the two seconds a caller waits for a 503 while Temporal is down: the start
 * gets most of them, the check the rest (a server that answers at all answers a describe in milliseconds).
 */
const START_DEADLINE_MS = 1600;
const CHECK_DEADLINE_MS = 400;

/** Whether Temporal has the run after all; undefined when it does not answer that either (then its row stays). */
async function startedAfterAll(temporal: Client, runId: string): Promise<boolean | undefined> {
  try {
    await temporal.withDeadline(Date.now() + CHECK_DEADLINE_MS, () => temporal.workflow.getHandle(runId).describe());
    return true;
  } catch (error) {
    return error instanceof WorkflowNotFoundError ? false : undefined;
  }
}

export async function startRun(deps: StartDeps, starter: Starter, request: StartRunRequest): Promise<StartedRun> {
  const { db, config } = deps;
  const pin = await pinVersion(db, starter.tenantId, request.workflowId, request.version);
  const input = checkedInput(pin, request.input);
  const priority = request.priority ?? 'normal';
  // A key names the run it first started for IDEMPOTENCY_TTL, whatever became of that run; then it may start another.
  const runId =
    request.runId ??
    (request.idempotencyKey
      ? await claimRunKey(db, config.idempotencyTtlMs, {
          tenantId: starter.tenantId,
          workflowId: pin.workflow.id,
          key: request.idempotencyKey,
          request: { input, version: request.version ?? null, priority },
          runId: newRunId(),
        })
      : newRunId());
  const facts = runFactsOf(starter, pin, runId, input, request);
  const inserted = await insertPendingRun(db, facts);
  if (!inserted) {
    const answered = await existingRun(db, facts, request.version);
    if (answered) return answered;
  }
  const variables = await tenantVariables(db, starter.tenantId);
  const created = await launchRun(deps, pin, facts, request.trigger, variables, inserted, request.seed);
  const row = (
    await db
      .select({ status: workflowInstances.status, version: workflowInstances.version })
      .from(workflowInstances)
      .where(eq(workflowInstances.id, runId))
      .limit(1)
  )[0];
  return {
    runId,
    workflowId: pin.workflow.id,
    version: row?.version ?? pin.version.version,
    status: row?.status ?? 'pending',
    created,
  };
}
