/**
 * Pacing: a run never holds one workflow task for long. A stretch of nodes
 * that need no activity (set, log, conditions, joins, loops of them) runs
 * without ever letting the workflow task end, and projection writes (local
 * activities) keep that task open too; so a busy run starved other runs of
 * the worker, and a cancellation waited for it. The run counts the work it
 * does since it last waited and, past a budget, calls an activity that does
 * nothing: the task ends, other runs get the worker, and a cancellation lands.
 *
 * Workflow code may not measure time, so the budget is in steps: a node
 * entered costs one, a projection write (a database round trip inside the
 * same task) more. A timer would do as a pause, but a timer of a millisecond
 * fires most of a second later; the activity returns in a few milliseconds.
 */
import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Units of work one workflow task may do: about a tenth of a second on a loaded two-core machine. */
export const PACE_BUDGET = 200;
/** Entering a node: rendering and routing, in memory. */
export const NODE_COST = 1;
/** A step written to the database, inside the same workflow task. */
export const WRITE_COST = 8;

const breather = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  summary: 'pause after a long stretch of work',
});

export interface Pacing {
  /**
   * Before a node starts: a promise to wait on when a pause is due (or the paced run was cancelled), else undefined.
   */
  beforeNode(): Promise<void> | undefined;
  /** A projection write was made. */
  wrote(): void;
  /** The run has just waited for something (an activity, a timer): a new workflow task began. */
  rested(): void;
  /** The last pause, settled or not (never failing); undefined if the run never paused. */
  running(): Promise<void> | undefined;
}

/**
 * Since 'pace-long-stretches'. Earlier runs ran their stretches in one task and replay as they ran: the patch is
 * asked for only when a pause is first due, so a run that never needs one records nothing.
 */
export function pacing(onPause: () => void): Pacing {
  let spent = 0;
  let patchedHere: boolean | undefined;
  let pausing: Promise<void> | undefined;
  return {
    beforeNode() {
      const scope = CancellationScope.current();
      if (patchedHere && scope.consideredCancelled) return scope.cancelRequested;
      spent += NODE_COST;
      if (spent < PACE_BUDGET) return undefined;
      patchedHere ??= patched('pace-long-stretches');
      if (!patchedHere) return undefined;
      spent = 0;
      onPause();
      // Not cancelled with the run: the run ends after the pause returns, since a run that ends beside a completing
      // activity has that workflow task refused (UnhandledCommand) and replayed whole.
      pausing = CancellationScope.nonCancellable(() => breather.pause());
      return pausing;
    },
    wrote() {
      spent += WRITE_COST;
    },
    rested() {
      spent = 0;
    },
    running() {
      return pausing?.catch(() => undefined);
    },
  };
}
