/**
 * Resuming a failed run (`POST /api/runs/:id/retry` with `from: "failed"`; Step Functions calls it redrive): a new
 * run of the same version and input whose memo is seeded with what the failed run finished. The interpreter is
 * deterministic, so the new run walks the graph from its trigger again, answers each finished step from the memo (no
 * second email, no second HTTP call, no second request to approvers) and does the failed step and what follows.
 *
 * The seed is read from the projection (`workflow_executions`), not from Temporal. A closed run's memo lives only in
 * its history: reading it means replaying that history, and it is gone after the namespace's retention. The step
 * rows hold each finished step's key and output, scoped to the tenant, and all of them are written before the run is
 * marked failed (the workflow drains its writes first). Large outputs stay references (db/payloads.ts), as they were
 * in the failed run's memo: the resumed run's activities expand them when they use them.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { workflowExecutions, type workflowInstances } from '../db/schema';
import type { ApprovalResult, TriggerInfo } from '../interpreter/engine';
import { stableHash } from '../lib/canonical-json';
import { Conflict } from '../lib/domain-errors';
import type { RunSeed } from '../workflows/types';
import { type StartDeps, type StartedRun, type Starter, startRun } from './start';

type RunRow = typeof workflowInstances.$inferSelect;
type StepRow = typeof workflowExecutions.$inferSelect;

/** A step the resumed run takes over instead of doing it again. */
export interface CarriedStep {
  stepKey: string;
  nodeId: string;
  nodeType: string;
  visit: number;
}

export interface ResumedRun extends StartedRun {
  retryOf: string;
  carriedOver: CarriedStep[];
}

/** What the port answered each finished step with, by the step key the projection keys it by (`<runId>:<stepKey>`). */
export function seedFrom(run: RunRow, steps: StepRow[]): { seed: RunSeed; carried: CarriedStep[] } {
  const memo: RunSeed['memo'] = { work: {}, approvals: {}, children: {}, timers: {}, recorded: [] };
  const carried: CarriedStep[] = [];
  const prefix = `${run.id}:`;
  for (const step of steps) {
    // A failed step (handled by an error edge or not) and one still running when the run failed are done again.
    if (step.status !== 'completed' || !step.id.startsWith(prefix)) continue;
    const stepKey = step.id.slice(prefix.length);
    switch (step.nodeType) {
      case 'action':
        // `set` and `log` never ask the port (and record no input): the seed travels in history, so it carries no
        // answer nobody reads.
        if (step.input !== null) memo.work[stepKey] = { ok: true, output: step.output, attempt: step.attempt };
        break;
      case 'integration':
      case 'notification':
        memo.work[stepKey] = { ok: true, output: step.output, attempt: step.attempt };
        break;
      case 'approval':
        memo.approvals[stepKey] = step.output as ApprovalResult;
        break;
      case 'subworkflow':
        memo.children[stepKey] = { ok: true, output: step.output };
        break;
      case 'delay':
        memo.timers[stepKey] = 0;
        break;
    }
    // Written once, by the failed run: the resumed run lists only the steps it did itself.
    memo.recorded.push(stepKey);
    carried.push({ stepKey, nodeId: step.nodeId, nodeType: step.nodeType, visit: step.visit });
  }
  return { seed: { retryOf: run.id, memo }, carried };
}

/**
 * The trigger as the failed run saw it, so the trigger node answers the same output. Only its body was recorded (the
 * trigger step's output, when it differs from the input); headers and query of a webhook delivery were not.
 */
export function triggerFrom(run: RunRow, steps: StepRow[]): TriggerInfo {
  const fired = steps.find((s) => s.nodeType === 'trigger' && s.status === 'completed');
  const body = fired && stableHash(fired.output) !== stableHash(run.input) ? { body: fired.output } : {};
  return { type: run.triggerSource, ...(fired ? { nodeId: fired.nodeId } : {}), ...body };
}

/**
 * The one run that resumes `runId`: named after it, so a repeated request (a double click, a client's retry) answers
 * that run instead of doing the failed step and what follows twice. A resumed run that fails is resumed in its turn.
 */
export function resumedRunId(runId: string): string {
  const hex = createHash('sha256').update(`resume\u0000${runId}`).digest('hex');
  return `run-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Starts the run resuming `run`, which must have failed; asked again, answers it (`created: false`). */
export async function resumeFailedRun(deps: StartDeps, starter: Starter, run: RunRow): Promise<ResumedRun> {
  if (run.status !== 'failed')
    throw new Conflict(`The run is ${run.status}; only a failed run can be resumed from its failed step.`, {
      runStatus: run.status,
    });
  const steps = await deps.db
    .select()
    .from(workflowExecutions)
    .where(and(eq(workflowExecutions.instanceId, run.id), eq(workflowExecutions.tenantId, run.tenantId)))
    .orderBy(asc(workflowExecutions.seq), asc(workflowExecutions.id));
  const { seed, carried } = seedFrom(run, steps);
  const started = await startRun(deps, starter, {
    runId: resumedRunId(run.id),
    workflowId: run.workflowId,
    input: run.input,
    version: run.version,
    priority: run.priority,
    trigger: triggerFrom(run, steps),
    seed,
    retryOf: run.id,
  });
  return { ...started, retryOf: run.id, carriedOver: carried };
}
