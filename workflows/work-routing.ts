/**
 * Routing of work to activities: which activity does a node's work, with which options (its retry policy, timeout,
 * the summary the Web UI shows), and how a failure comes back to the interpreter as a result, with the attempts it
 * took. Sub-workflow nodes start a child run of `runGraph`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChildRequest, NodeError, WorkRequest, WorkResult } from '../interpreter/engine';
import { FAILURES } from '../lib/failures';
import { runSearchAttributes, runSummary } from '../runs/start-options';
import type { ProjectionBatch } from '../activities/projection';
import { projection, type RidingRecords } from './projection-writer';
import type { runGraph } from './run-graph';
import type { RunGraphInput } from './types';

export const work = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

/** Which run the work belongs to. */
export interface RunRef {
  tenantId: string;
  runId: string;
}

/** The message and type of the failure at the bottom of an activity's or child's failure chain. */
export function describeFailure(error: unknown): NodeError {
  let cause: unknown = error;
  while ((cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) && cause.cause)
    cause = cause.cause;
  if (cause instanceof ApplicationFailure)
    return { message: cause.message, ...(cause.type ? { type: cause.type } : {}) };
  if (cause instanceof Error) return { message: cause.message, type: cause.name };
  return { message: String(cause) };
}

/**
 * How many attempts a failed activity took: the worker's attempt interceptor (activities/attempt-interceptor.ts)
 * names it on the last failure; a run out of attempts took them all. Undefined when nobody can tell.
 */
export function attemptsTaken(error: ActivityFailure, maximumAttempts: number): number | undefined {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    for (const detail of cause.details ?? []) {
      const attempt = (detail as { graphflowAttempt?: unknown } | null)?.graphflowAttempt;
      if (typeof attempt === 'number') return attempt;
    }
  }
  return error.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maximumAttempts : undefined;
}

type WorkActivity = 'httpRequest' | 'sendMessage';

/** Which activity does a node's work; undefined when there is none for it. */
function activityFor(request: WorkRequest): WorkActivity | undefined {
  const { kind, config } = request;
  if (kind === 'http') return 'httpRequest';
  const via = kind === 'notification' ? config.channel : config.provider;
  if (via === 'http' || via === 'webhook') return 'httpRequest';
  if (via === 'email' || via === 'slack') return 'sendMessage';
  return undefined;
}

/** An HTTP call's config: a webhook notification posts its subject and message to its (first) recipient as JSON. */
function httpConfigOf(request: WorkRequest, runId: string): Record<string, unknown> {
  const { config } = request;
  if (request.kind === 'notification' && config.channel === 'webhook') {
    // `recipients` is one address or a list of them: concat takes either (the cast types the empty start).
    const url = ([] as unknown[]).concat(config.recipients)[0];
    return {
      method: 'POST',
      url,
      body: { subject: config.subject ?? null, message: config.message, runId },
      secretRef: config.secretRef,
    };
  }
  return { ...config, ...(config.provider === 'webhook' ? { method: config.method ?? 'POST' } : {}) };
}

/**
 * Does a node's work through its activity; a failure is a result (the node's `error` edge), not an exception. The
 * run's records gathered so far may go with it (projection-writer.ts), told at the end whether they were written.
 */
export async function runWork(request: WorkRequest, run: RunRef, records?: RidingRecords): Promise<WorkResult> {
  let written = false;
  try {
    const result = await doWork(request, run, records?.batch);
    written = result.recordsWritten === true;
    return result.result;
  } finally {
    records?.settle(written);
  }
}

async function doWork(
  request: WorkRequest,
  run: RunRef,
  records: ProjectionBatch | undefined,
): Promise<{ result: WorkResult; recordsWritten?: boolean }> {
  const activity = activityFor(request);
  if (!activity) {
    const what =
      request.kind === 'notification'
        ? `channel "${String(request.config.channel)}"`
        : `provider "${String(request.config.provider)}"`;
    return {
      result: {
        ok: false,
        error: { message: `node "${request.nodeId}": unknown ${what}`, type: FAILURES.NotAvailable.type },
      },
    };
  }
  const { retry } = request;
  const options = {
    startToCloseTimeout: request.timeoutMs,
    retry: {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
    },
    // Shown in the Web UI beside the activity, so a person sees which node this is.
    summary: `${request.nodeId}: ${request.label}`,
    activityId: request.stepKey,
  };
  const base = {
    ...run,
    nodeId: request.nodeId,
    idempotencyKey: request.idempotencyKey,
    ...(records ? { records } : {}),
  };
  try {
    const result =
      activity === 'httpRequest'
        ? await work.httpRequest.executeWithOptions(options, [{ ...base, ...httpConfigOf(request, run.runId) }])
        : await work.sendMessage.executeWithOptions(options, [
            { ...base, kind: request.kind === 'notification' ? 'notification' : 'integration', config: request.config },
          ]);
    return {
      result: { ok: true, output: result.output, attempt: result.attempt },
      recordsWritten: result.recordsWritten,
    };
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const failure = describeFailure(error);
    // Calls that change something are in the ledger too (since 'http-ledger'): their intent is closed as failed.
    if (activity === 'sendMessage' || patched('http-ledger')) {
      await projection.markMessageFailed({
        tenantId: run.tenantId,
        idempotencyKey: request.idempotencyKey,
        error: failure.message,
      });
    }
    const attempt = attemptsTaken(error, retry.maximumAttempts);
    return { result: { ok: false, error: failure, ...(attempt === undefined ? {} : { attempt }) } };
  }
}

/** Runs another published workflow as a child run: waited for unless the node says not to. */
export async function runChild(request: ChildRequest, parent: RunGraphInput, runId: string): Promise<WorkResult> {
  const { tenantId } = parent;
  try {
    const child = await work.resolveDefinition.executeWithOptions(
      { startToCloseTimeout: '30 seconds', summary: `${request.nodeId}: resolve workflow ${request.workflowId}` },
      [{ tenantId, workflowId: request.workflowId, version: request.version }],
    );
    const childId = `${runId}~${request.stepKey}`;
    const input: RunGraphInput = {
      tenantId,
      definition: child,
      input: request.input,
      trigger: { type: 'manual' },
      triggeredBy: parent.triggeredBy,
      priority: parent.priority,
      ...(parent.historyLimit ? { historyLimit: parent.historyLimit } : {}),
    };
    const started = await startChild<typeof runGraph>('runGraph', {
      workflowId: childId,
      args: [input],
      parentClosePolicy: request.wait ? ParentClosePolicy.TERMINATE : ParentClosePolicy.ABANDON,
      typedSearchAttributes: runSearchAttributes(tenantId, child),
      staticSummary: `${runSummary(child)} (from ${request.nodeId})`,
    });
    if (!request.wait) return { ok: true, output: { runId: childId, version: child.version, waited: false } };
    const result = await started.result();
    if (result.status !== 'completed')
      return {
        ok: false,
        error: { message: `subworkflow run ${childId} ended ${result.status}`, type: FAILURES.SubworkflowEnded.type },
      };
    return { ok: true, output: result.output };
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure)
      return { ok: false, error: describeFailure(error) };
    throw error;
  }
}
