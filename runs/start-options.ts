/**
 * How `runGraph` is started, built one way for every path: the API, webhooks and events start it with
 * `runStartOptions`, a schedule trigger's Temporal Schedule with `scheduleAction`, and a subworkflow node's
 * child carries the same `runSearchAttributes` and `runSummary`. Pure (no I/O, no clock), so workflow code
 * may import it too.
 */
import { type SearchAttributePair, WorkflowIdReusePolicy } from '@temporalio/common';
import type { ScheduleOptionsAction, WorkflowStartOptions } from '@temporalio/client';
import type { runGraph } from '../workflows/run-graph';
import { RunStatusKey, TenantKey, VersionKey, WorkflowIdKey, WorkflowNameKey } from '../workflows/search-attributes';
import type { PinnedDefinition, RunGraphInput } from '../workflows/types';

/** What people find a run by in the Temporal Web UI; its status moves on from `pending` as the run does. */
export function runSearchAttributes(tenantId: string, definition: PinnedDefinition): SearchAttributePair[] {
  return [
    { key: WorkflowNameKey, value: definition.name },
    { key: WorkflowIdKey, value: definition.workflowId },
    { key: VersionKey, value: definition.version },
    { key: RunStatusKey, value: 'pending' },
    { key: TenantKey, value: tenantId },
  ];
}

/** The line the Web UI shows for a run. */
export const runSummary = (definition: PinnedDefinition) => `${definition.name} v${definition.version}`;

/** Starts `runGraph` as the run `runId`. */
export function runStartOptions(
  taskQueue: string,
  runId: string,
  args: RunGraphInput,
): WorkflowStartOptions<typeof runGraph> {
  return {
    taskQueue,
    workflowId: runId,
    // One execution per run id, ever: a repeat after the run closed must not run it again.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [args],
    typedSearchAttributes: runSearchAttributes(args.tenantId, args.definition),
    staticSummary: runSummary(args.definition),
  };
}

/**
 * What a schedule trigger's Temporal Schedule starts each time it fires. Temporal names each run
 * (`<scheduleId>-<time>`), so there is no id reuse policy to set: the schedule's overlap policy rules instead.
 */
export function scheduleAction(taskQueue: string, scheduleId: string, args: RunGraphInput): ScheduleOptionsAction {
  return {
    type: 'startWorkflow',
    workflowType: 'runGraph',
    workflowId: scheduleId,
    taskQueue,
    args: [args],
    typedSearchAttributes: runSearchAttributes(args.tenantId, args.definition),
    staticSummary: runSummary(args.definition),
  };
}
