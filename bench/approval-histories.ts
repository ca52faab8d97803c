/**
 * Where a decision's time goes, from the Temporal histories of decided runs: the workflow task that took the Update
 * (accepted it), how long it waited in the task queue (scheduled → started: a worker with no free slot or CPU) and how
 * long the worker held it (started → completed: the work in the task, local activities included), and each history's
 * events. The approval-concurrency bench prints these for a sample of its runs, ours and the baseline's.
 */
import type { Client } from '@temporalio/client';
import { percentile } from './environment';

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => Number(String(t?.seconds ?? 0)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

export interface DecisionTask {
  events: number;
  workflowTasks: number;
  /** The accepting task: scheduled → started, ms. */
  queuedMs: number;
  /** The accepting task: started → completed, ms. */
  heldMs: number;
  /** Every task of the run: the longest started → completed, ms. */
  longestTaskMs: number;
}

export async function decisionTask(client: Client, workflowId: string): Promise<DecisionTask | undefined> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  let scheduled = 0;
  let started = 0;
  let last: { queuedMs: number; heldMs: number } | undefined;
  let accepting: { queuedMs: number; heldMs: number } | undefined;
  let workflowTasks = 0;
  let longestTaskMs = 0;
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) scheduled = ms(event.eventTime);
    if (event.workflowTaskStartedEventAttributes) started = ms(event.eventTime);
    if (event.workflowTaskCompletedEventAttributes) {
      workflowTasks++;
      last = { queuedMs: started - scheduled, heldMs: ms(event.eventTime) - started };
      longestTaskMs = Math.max(longestTaskMs, last.heldMs);
    }
    if (event.workflowExecutionUpdateAcceptedEventAttributes) accepting ??= last;
  }
  return accepting && { events: events.length, workflowTasks, longestTaskMs, ...accepting };
}

/** One line per figure over the sample: p50 and max. */
export async function printDecisionTasks(client: Client, label: string, workflowIds: string[]): Promise<void> {
  const tasks = (await Promise.all(workflowIds.map((id) => decisionTask(client, id)))).filter((t) => t !== undefined);
  const figure = (pick: (t: DecisionTask) => number) => {
    const xs = tasks.map(pick).sort((a, b) => a - b);
    return `p50 ${percentile(xs, 50).toFixed(0)}, max ${(xs.at(-1) ?? NaN).toFixed(0)}`;
  };
  console.log(
    `${label.padEnd(40)} ${tasks.length} histories: events ${figure((t) => t.events)}; workflow tasks ` +
      `${figure((t) => t.workflowTasks)}; the decision's task queued ${figure((t) => t.queuedMs)} ms, held ` +
      `${figure((t) => t.heldMs)} ms; longest task ${figure((t) => t.longestTaskMs)} ms`,
  );
}
