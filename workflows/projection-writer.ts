/**
 * Projection writes from the workflow: local activities (short database statements, no task-queue round trip).
 * Since 'projection-write-behind', a step's record and an approval's closing are written while the run moves on, so
 * a decision starts the next node at once; the run's end and continue-as-new wait for them, and they finish even if
 * the run is cancelled. Earlier runs waited for each write, and replay as they ran.
 *
 * Since 'projection-batches', the run's start, its step records and its end are gathered instead: what one workflow
 * task records is written by one local activity in one transaction (a 5-node run writes twice, not eleven times),
 * one batch at a time and in order. Local activities were most of a short run's cost: each one a round trip between
 * the workflow and the worker, a marker in the history and a transaction.
 *
 * Since 'projection-rides-work', step records gathered when the run schedules work (an HTTP call, a message) go with
 * that activity instead, which writes them only if the work is still going after CARRIED_RECORDS_WAIT_MS
 * (activities/carried-records.ts). Records quick work did not write are gathered again, to ride with the next work or
 * be written with the run's next batch; the run writes them itself once CARRIED_RECORDS_AT_MOST_MS old. So a run of
 * quick calls writes its start, then its end with every step (the cluster bench's five-call run made six writes
 * before). Since 'projection-start-rides' its start rides too when its row exists (`pending`, inserted by whoever
 * started it, which says `pending` until then): such a run writes once, at its end. Records whose activity failed,
 * was cancelled or is still out when the run ends are written by the run.
 */
import { CancellationScope, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunProgress, StepRecord } from '../interpreter/engine';
import type { ProjectionBatch } from '../activities/projection';
import { CARRIED_RECORDS_AT_MOST_MS } from './types';

/** How many writes may be in flight while the run moves on. */
const MAX_WRITES_BEHIND = 4;
/** A batch this large waits for the one being written before the run goes on: memory stays bounded. */
const MAX_GATHERED_STEPS = 200;
/**
 * Records riding with work are in that activity's input, so in the run's history: larger ones (a step's large output)
 * are written by the run instead, which keeps them out of it.
 */
const MAX_RIDING_JSON_CHARS = 16_000;
/**
 * Microtask turns a batch waits for the records the same workflow task is still making (the rest of a node, the
 * next pure nodes, other branches). Few: the SDK records a stack trace for every promise a workflow makes, and
 * records made later go into the next batch anyway.
 */
const SETTLE_TURNS = 24;

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

type Gathered = Omit<ProjectionBatch, 'tenantId' | 'runId'>;

/** Records going with an activity; `settle` says whether the activity wrote them once it is answered. */
export interface RidingRecords {
  batch: ProjectionBatch;
  settle(written: boolean): void;
}

const isEmpty = (gathered: Gathered) =>
  !gathered.steps.length && !gathered.progress && !gathered.started && !gathered.finished;

export class WriteBehind {
  private patchedHere: boolean | undefined;
  private batchedHere: boolean | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private gathered: Gathered = { steps: [] };
  /** Waiting for the workflow task's records to be in, then writing them; undefined when nothing is gathered. */
  private flushing: Promise<void> | undefined;
  /** The batch being written. */
  private writing: Promise<void> | undefined;
  private ridesHere = false;
  private startRidesHere = false;
  /** Workflow time of the oldest record gathered (undefined when nothing is). */
  private gatheredSince: number | undefined;
  /** Records gone with activities, until each activity is answered, and the time the oldest of them was gathered. */
  private readonly riding = new Map<Gathered, number>();

  /**
   * `onFlush` counts each batch written against the run's history budget. `startMayRide`: the run's row exists
   * already (`pending`), so its start may ride with its first work like its step records.
   */
  constructor(
    private readonly run: { tenantId: string; runId: string },
    private readonly onFlush: () => void,
    private readonly startMayRide = false,
  ) {}

  /**
   * Whether this run gathers its records into batches. Asked at its first write, with whether the records ride with
   * its work and whether its start does: a new run asks one patch ('projection-start-rides' when its row exists,
   * else 'projection-rides-work'), one marker and one search attribute upsert in its history, each implying the
   * ones before. Runs from before replay as they ran.
   */
  get batches(): boolean {
    if (this.batchedHere === undefined) {
      this.startRidesHere = this.startMayRide && patched('projection-start-rides');
      this.ridesHere = this.startRidesHere || patched('projection-rides-work');
      this.batchedHere = this.ridesHere || patched('projection-batches');
    }
    return this.batchedHere;
  }

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

  /** The run began (a batch's first statement, so its steps have their run's row). */
  gatherStart(started: NonNullable<ProjectionBatch['started']>): void {
    this.gathered.started = started;
    this.schedule();
  }

  /** A step's record and the run's progress after it. Returns at once unless the batch has grown large. */
  async gatherStep(step: StepRecord, progress: RunProgress, stamp: { at: number; count: number }): Promise<void> {
    this.gathered.steps.push(step);
    this.gathered.progress = progress;
    this.gathered.stamp = stamp;
    this.schedule();
    if (this.gathered.steps.length >= MAX_GATHERED_STEPS && this.writing) await this.writing;
  }

  /** How the run ended, and the platform events it emits (sent once the rows are written). */
  gatherEnd(finished: NonNullable<ProjectionBatch['finished']>, events: ProjectionBatch['events']): void {
    this.gathered.finished = finished;
    if (events?.length) this.gathered.events = events;
    this.schedule();
  }

  /**
   * What is gathered, to go with the activity about to be scheduled; undefined when it must be written by the run:
   * nothing is gathered, a batch is being written (batches land in order), the records hold the run's end, or its
   * start when that inserts the run's row (which the others need), or they are too old or too large to ride.
   */
  takeForWork(): RidingRecords | undefined {
    const gathered = this.gathered;
    if (!this.batches || !this.ridesHere) return undefined;
    if (isEmpty(gathered) || gathered.finished || this.writing) return undefined;
    if (gathered.started && !this.startRidesHere) return undefined;
    const since = this.gatheredSince ?? Date.now();
    // Records that have waited long enough, or too large to ride, are written by the batch already scheduled.
    if (Date.now() - since >= CARRIED_RECORDS_AT_MOST_MS) return undefined;
    if (JSON.stringify(gathered).length > MAX_RIDING_JSON_CHARS) return undefined;
    this.gathered = { steps: [] };
    this.gatheredSince = undefined;
    this.riding.set(gathered, since);
    return {
      batch: { ...this.run, ...gathered },
      settle: (written) => {
        if (this.riding.delete(gathered) && !written) this.regather(gathered, since);
      },
    };
  }

  /** Every write started or gathered so far has landed. */
  async drained(): Promise<void> {
    // Activities still out (other branches after an end, cancelled work) may never write what they carry.
    for (const [gathered, since] of this.riding) this.regather(gathered, since);
    this.riding.clear();
    for (;;) {
      if (this.flushing) await this.flushing;
      else if (this.writing) await this.writing;
      else if (this.inFlight.size) await Promise.all([...this.inFlight]);
      else return;
    }
  }

  /** Records an activity may not have written, before those gathered since (a step's later record wins). */
  private regather(earlier: Gathered, since: number): void {
    const now = this.gathered;
    this.gatheredSince = Math.min(since, this.gatheredSince ?? since);
    this.gathered = {
      ...now,
      ...(earlier.started ? { started: earlier.started } : {}),
      steps: [...earlier.steps, ...now.steps],
      ...(now.progress ? {} : { progress: earlier.progress, stamp: earlier.stamp }),
    };
    this.schedule();
  }

  /** Something was gathered: a batch will write it unless work takes it first. */
  private schedule(): void {
    this.gatheredSince ??= Date.now();
    this.flushing ??= this.flushWhenSettled();
    this.flushing.catch(() => undefined);
  }

  /**
   * Pure nodes (set, condition, log, joins) run in microtasks of the same workflow task: let the branches going record
   * what they record for a few turns, then write it all at once, after the batch before it (in order, one at a time).
   */
  private async flushWhenSettled(): Promise<void> {
    try {
      if (this.writing) await this.writing;
      for (let turn = 0; turn < SETTLE_TURNS; turn++) await Promise.resolve();
    } finally {
      this.flushing = undefined;
    }
    // The records went with an activity meanwhile.
    if (isEmpty(this.gathered)) return;
    const batch: ProjectionBatch = { ...this.run, ...this.gathered };
    this.gathered = { steps: [] };
    this.gatheredSince = undefined;
    this.onFlush();
    const writing = CancellationScope.nonCancellable(() => projection.recordBatch(batch)).finally(() => {
      if (this.writing === writing) this.writing = undefined;
    });
    this.writing = writing;
    await writing;
  }
}
