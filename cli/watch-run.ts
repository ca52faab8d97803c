/**
 * A live view of one run, for `graphflow run --watch`: polls the run (steps, approvals, status) and prints a line for
 * each step as it starts and ends, each approval as it is awaited and decided, then the result. Lines, not a redrawn
 * screen, so the same view reads in a terminal, a CI log and a pipe.
 */
import type { components } from '../client';
import { type Connection, problemError } from './api';
import { EXIT } from './errors';
import { brief, type Output } from './output';

type RunDetail = components['schemas']['RunDetail'];
type Step = components['schemas']['Step'];
type RunApproval = components['schemas']['RunApproval'];

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** Answers that say "not now" rather than "no": the watch waits and asks again. */
const PASSING = new Set([429, 502, 503, 504]);

export function exitCodeOf(status: string): number {
  if (status === 'completed') return EXIT.ok;
  if (status === 'failed') return EXIT.failure;
  return EXIT.runNotCompleted;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stepLine(step: Step): string | undefined {
  const name = `${step.nodeId}${step.visit > 1 ? ` #${step.visit}` : ''} (${step.nodeType}${step.label ? `: ${step.label}` : ''})`;
  switch (step.status) {
    case 'running':
      return `  … ${name} running${step.attempt > 1 ? ` (attempt ${step.attempt})` : ''}`;
    case 'completed':
      return `  ✓ ${name} completed${step.handle ? ` → ${step.handle}` : ''}${step.durationMs !== null ? ` in ${step.durationMs} ms` : ''}`;
    case 'failed':
      return `  ✗ ${name} failed${step.error !== null && step.error !== undefined ? `: ${brief(step.error)}` : ''}`;
    case 'skipped':
      return `  - ${name} skipped`;
    // An awaited approval is told by its approval's own line, which carries the id to decide it with.
    default:
      return undefined;
  }
}

function approvalLine(approval: RunApproval): string {
  const roles =
    Array.isArray(approval.approverRoles) && approval.approverRoles.length
      ? ` by ${(approval.approverRoles as string[]).join(' or ')}`
      : '';
  if (approval.status === 'pending')
    return `  ? approval awaited at ${approval.nodeId}${roles}: graphflow approve ${approval.id} --decision approved|rejected`;
  const outcome = typeof approval.outcome === 'string' ? approval.outcome : approval.status;
  return `  ! approval at ${approval.nodeId} ${approval.status === 'expired' ? 'expired' : `decided: ${outcome}`}`;
}

/** Watches until the run finishes; answers the CLI's exit code for its status. */
export async function watchRun({ api }: Connection, runId: string, out: Output, intervalMs = 500): Promise<number> {
  const told = new Map<string, string>();
  const tell = (key: string, state: string, line: string | undefined) => {
    if (line === undefined || told.get(key) === state) return;
    told.set(key, state);
    out.line(line);
  };
  let run: RunDetail;
  for (;;) {
    const answer = await api.GET('/api/runs/{runId}', { params: { path: { runId } } });
    if (!answer.data) {
      if (PASSING.has(answer.response.status)) {
        await sleep(Math.max(intervalMs, 1000));
        continue;
      }
      throw problemError(answer.response, answer.error, `reading run ${runId}`);
    }
    run = answer.data;
    // Steps and approvals first: a run's final status reads last, after what led to it.
    for (const step of run.steps) tell(`step:${step.id}`, step.status, stepLine(step));
    for (const approval of run.approvals) tell(`approval:${approval.id}`, approval.status, approvalLine(approval));
    tell('run', run.status, `run ${run.id}: ${run.status}`);
    if (FINISHED.has(run.status)) break;
    await sleep(intervalMs);
  }
  if (run.status === 'completed') out.line(`output: ${JSON.stringify(run.output ?? null, null, 2)}`);
  else if (run.error !== null && run.error !== undefined)
    out.line(`error: ${typeof run.error === 'string' ? run.error : JSON.stringify(run.error, null, 2)}`);
  return exitCodeOf(run.status);
}
