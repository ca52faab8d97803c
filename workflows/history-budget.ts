/**
 * The history budget: when a run's history grows long it stops starting nodes, lets the work in flight finish, and
 * continues as new. Temporal only tells the history's length at workflow task boundaries, and local activities add
 * markers within one long task, so the run also counts (generously) what it adds and goes by the larger figure.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import { type Pacing, pacing } from './pacing';

const EVENTS_AT_START = 5;
export const EVENTS_PER_LOCAL_ACTIVITY = 1;
export const EVENTS_PER_ACTIVITY = 6;
export const EVENTS_PER_TIMER = 5;
export const EVENTS_PER_DECISION = 3;
/** Continue as new past this many events unless the run says otherwise (Temporal's own suggestion comes first). */
export const DEFAULT_HISTORY_LIMIT = 8000;

export class HistoryBudget {
  private estimate = EVENTS_AT_START;
  private inFlight = 0;
  /** True once the run has decided to continue as new: no node starts after that. */
  draining = false;
  /** Set by a move to another version: the run continues as new whatever the history's length. */
  private drainAsked = false;
  /**
   * A long stretch of work without a wait pauses a moment (pacing.ts): short workflow tasks, cancellation that lands.
   */
  readonly pace: Pacing = pacing(() => this.add(EVENTS_PER_ACTIVITY));

  constructor(private readonly limit = DEFAULT_HISTORY_LIMIT) {}

  add(events: number): void {
    this.estimate += events;
  }

  isLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || Math.max(info.historyLength, this.estimate) > this.limit;
  }

  /**
   * Work or a child run: counted while in flight, since continue-as-new waits for it (approvals and timers it carries).
   */
  async counted<T>(fn: () => Promise<T>): Promise<T> {
    this.add(EVENTS_PER_ACTIVITY);
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.pace.rested();
    }
  }

  /** Continue as new as soon as the work in flight is done (a move to another version). */
  drainNow(): void {
    this.drainAsked = true;
  }

  /** Resolves when the history is long (or a drain was asked) and the run has stopped and settled: continue as new. */
  async whenDrained(): Promise<'continue'> {
    await condition(() => this.drainAsked || this.isLong());
    this.draining = true;
    await condition(() => this.inFlight === 0 && allHandlersFinished());
    return 'continue';
  }
}
