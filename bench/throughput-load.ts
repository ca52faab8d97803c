/**
 * The throughput bench's load: runs offered at a fixed open-loop rate (a start is fired when it is due, whether or
 * not earlier ones have finished), then counted complete from Temporal's visibility (the run's workflow closed
 * Completed), which is what "a completed run" means here: not the scorer seeing the POST.
 */
import type { Client } from '@temporalio/client';
import { failureMessage } from './environment';

export interface Offered {
  accepted: number;
  refused: number;
  firstRefusal?: string;
  /** Wall-clock ms (Date.now) of the first start fired and of the moment the last one was fired. */
  startedAt: number;
  endedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fires `start(i)` `rate` times a second for `seconds`; resolves once every start has answered. */
export async function offer(rate: number, seconds: number, start: (i: number) => Promise<unknown>): Promise<Offered> {
  const total = Math.round(rate * seconds);
  const inFlight: Array<Promise<void>> = [];
  const result: Offered = { accepted: 0, refused: 0, startedAt: Date.now(), endedAt: 0 };
  const t0 = performance.now();
  for (let fired = 0; fired < total;) {
    // Catches up after a late timer, so the offered rate holds even when this process is starved for a moment.
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; fired < due; fired++) {
      inFlight.push(
        start(fired).then(
          () => void result.accepted++,
          (error: unknown) => {
            result.refused++;
            result.firstRefusal ??= failureMessage(error);
          },
        ),
      );
    }
    await sleep(Math.max(0, (fired / rate) * 1000 - (performance.now() - t0)));
  }
  result.endedAt = Date.now();
  await Promise.all(inFlight);
  return result;
}

export interface Completion {
  completed: number;
  failed: number;
  /** Close times (wall-clock ms) of the completed runs, sorted. */
  closeTimes: number[];
  /** Runs still open when the wait gave up. */
  open: number;
}

const scopeOf = (workflowType: string, since: number) =>
  `WorkflowType = '${workflowType}' AND StartTime >= '${new Date(since).toISOString()}'`;

/**
 * Waits until `expected` runs of `workflowType` started since `since` are closed, or `timeoutMs` passes, polling the
 * count once a second (one cheap visibility query, not a long poll per run); answers when it stopped waiting.
 */
export async function awaitClosed(
  client: Client,
  workflowType: string,
  since: number,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const closed = await client.workflow.count(`${scopeOf(workflowType, since)} AND ExecutionStatus != 'Running'`);
    if (closed.count >= expected) break;
    await sleep(1000);
  }
  return Date.now();
}

/** How the runs of `workflowType` started since `since` ended, with the completed ones' close times. */
export async function completionOf(client: Client, workflowType: string, since: number): Promise<Completion> {
  const closeTimes: number[] = [];
  let failed = 0;
  let open = 0;
  for await (const run of client.workflow.list({ query: scopeOf(workflowType, since) })) {
    if (run.status.name === 'COMPLETED' && run.closeTime) closeTimes.push(run.closeTime.getTime());
    else if (run.status.name === 'RUNNING') open++;
    else failed++;
  }
  closeTimes.sort((a, b) => a - b);
  return { completed: closeTimes.length, failed, open, closeTimes };
}
