/**
 * Projection writes from the workflow: local activities (short database statements, no task-queue round trip).
 * Since 'projection-write-behind', a step's record and an approval's closing are written while the run moves on, so
 * a decision starts the next node at once; the run's end and continue-as-new wait for them, and they finish even if
 * the run is cancelled. Earlier runs waited for each write, and replay as they ran.
 */
import { CancellationScope, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** How many writes may be in flight while the run moves on. */
const MAX_WRITES_BEHIND = 4;

export const projection = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

/**
 * Writes that record what an Update decided. An Update is in the history only once the workflow task that took it
 * completes; a local activity runs inside that task, so if the task is lost (a worker dies, the database stalls it
 * past its timeout) the row would say `approved` of a decision the run never took, and hide the approval from every
 * inbox while the run still waits on it. A regular activity is scheduled by the task's completion: it runs only once
 * the decision is in the history.
 */
export const committedProjection = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '10 seconds', backoffCoefficient: 2 },
  summary: 'record the approval closed',
});

export class WriteBehind {
  private patchedHere: boolean | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  /** Starts `write` and returns once it may run behind (or, for runs from before the patch, once it is done). */
  async write(write: () => Promise<void>): Promise<void> {
    this.patchedHere ??= patched('projection-write-behind');
    if (!this.patchedHere) return write();
    // A few writes behind, never more: a long stretch of quick nodes (a big loop) still waits for its rows, and so
    // yields, lets continue-as-new stop it in time, and keeps each workflow task small.
    while (this.inFlight.size >= MAX_WRITES_BEHIND) await Promise.race(this.inFlight);
    const writing: Promise<void> = CancellationScope.nonCancellable(write).finally(() => this.inFlight.delete(writing));
    writing.catch(() => undefined);
    this.inFlight.add(writing);
  }

  /** Every write started so far has landed. */
  async drained(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
