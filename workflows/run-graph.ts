/**
 * `runGraph`: the one generic workflow. It hosts the interpreter and turns its
 * requests into Temporal commands: activities for work, local activities for
 * projection writes, search attributes for the Web UI.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type EnginePort, interpret, type WorkRequest, type WorkResult } from '../interpreter/engine';
import { RunStatusKey } from './search-attributes';
import type { RunGraphInput, RunGraphResult } from './types';

const work = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

// Projection writes are short database statements: local activities keep them off the task queue round trip.
const projection = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

function describeFailure(error: unknown): { message: string; type?: string } {
  let cause: unknown = error;
  if (error instanceof ActivityFailure && error.cause) cause = error.cause;
  if (cause instanceof ApplicationFailure) return { message: cause.message, ...(cause.type ? { type: cause.type } : {}) };
  if (cause instanceof Error) return { message: cause.message, type: cause.name };
  return { message: String(cause) };
}

async function runWork(request: WorkRequest): Promise<WorkResult> {
  try {
    const result = await work.httpRequest.executeWithOptions(
      {
        startToCloseTimeout: request.timeoutMs,
        retry: {
          maximumAttempts: request.retry.maximumAttempts,
          initialInterval: request.retry.initialIntervalMs,
          backoffCoefficient: request.retry.backoffCoefficient,
          maximumInterval: request.retry.maximumIntervalMs,
        },
        // Shown in the Web UI beside the activity, so a person sees which node this is.
        summary: `${request.nodeId}: ${request.label}`,
        activityId: `${request.nodeId}:${request.visit}`,
      },
      [{ idempotencyKey: request.idempotencyKey, ...request.config }],
    );
    return { ok: true, output: result.output, attempt: result.attempt };
  } catch (error) {
    if (error instanceof ActivityFailure) return { ok: false, error: describeFailure(error) };
    throw error;
  }
}

export async function runGraph(args: RunGraphInput): Promise<RunGraphResult> {
  const info = workflowInfo();
  const runId = info.workflowId;
  const startedAt = new Date(Date.now()).toISOString();
  const { tenantId, definition } = args;

  await projection.recordRunStarted({
    tenantId,
    runId,
    workflowId: definition.workflowId,
    versionId: definition.versionId,
    version: definition.version,
    input: args.input,
    triggeredBy: args.triggeredBy,
    triggerSource: args.trigger.type,
    priority: args.priority,
    startedAt,
  });
  upsertSearchAttributes([{ key: RunStatusKey, value: 'running' }]);

  const port: EnginePort = {
    now: () => Date.now(),
    runWork,
    recordStep: (step, progress) => projection.recordStep({ tenantId, runId, step, progress }),
  };
  const outcome = await interpret(
    {
      definition: definition.graph,
      input: args.input,
      trigger: args.trigger,
      run: {
        id: runId,
        workflowId: definition.workflowId,
        workflowName: definition.name,
        version: definition.version,
        startedAt,
        triggeredBy: args.triggeredBy,
        priority: args.priority,
      },
    },
    port,
  );

  await projection.recordRunFinished({
    tenantId,
    runId,
    status: outcome.status,
    output: outcome.output,
    error: outcome.error,
    completedAt: new Date(Date.now()).toISOString(),
  });
  upsertSearchAttributes([{ key: RunStatusKey, value: outcome.status }]);
  if (outcome.status === 'failed') {
    // Non-retryable: the definition or its data made the run fail; retrying the workflow would fail the same way.
    throw ApplicationFailure.nonRetryable(outcome.error?.message ?? 'the run failed', 'RunFailed', outcome.error);
  }
  return { status: outcome.status, output: outcome.output, error: outcome.error };
}
