/**
 * What a run's Temporal histories say about the worker: every generation of one run id (continue-as-new starts a new
 * one), their events, and the longest workflow task (started to completed: the time one task held the worker).
 */
import type { Client } from '@temporalio/client';

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => Number(String(t?.seconds ?? 0)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

export interface RunHistoryFigures {
  /** Executions of the run id: 1 unless it continued as new. */
  generations: number;
  /** Events of the longest history among them. */
  longestHistory: number;
  events: number;
  workflowTasks: number;
  longestTaskMs: number;
}

export async function runHistoryFigures(client: Client, runId: string): Promise<RunHistoryFigures> {
  const executions: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${runId}"` }))
    executions.push(execution.runId);
  const figures: RunHistoryFigures = {
    generations: executions.length,
    longestHistory: 0,
    events: 0,
    workflowTasks: 0,
    longestTaskMs: 0,
  };
  for (const executionRunId of executions) {
    const events = (await client.workflow.getHandle(runId, executionRunId).fetchHistory()).events ?? [];
    figures.events += events.length;
    figures.longestHistory = Math.max(figures.longestHistory, events.length);
    let started: number | undefined;
    for (const event of events) {
      if (event.workflowTaskStartedEventAttributes) started = ms(event.eventTime);
      // A task that failed or timed out is tried again: the task is the attempt that completed.
      if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) started = undefined;
      if (event.workflowTaskCompletedEventAttributes && started !== undefined) {
        figures.workflowTasks++;
        figures.longestTaskMs = Math.max(figures.longestTaskMs, ms(event.eventTime) - started);
        started = undefined;
      }
    }
  }
  return figures;
}
