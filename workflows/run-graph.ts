/**
 * `runGraph`: the one generic workflow. It hosts the interpreter (interpreter/engine.ts) and answers its port with
 * Temporal: activities for work, local activities for projection writes, durable timers, an Update for approval
 * decisions, child workflows for subworkflows, search attributes for the Web UI. Each of those is a module here;
 * this function wires them, runs the graph against its timeout and history budget, and records how the run ended.
 */
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { parseDuration } from '../interpreter/durations';
import { type RunHandle, type RunOutcome, startRun } from '../interpreter/engine';
import { ApprovalDesk } from './approval-desk';
import { approvalWaiter } from './approval-wait';
import { RunNotices } from './configured-notifications';
import { enginePort, memoFrom } from './engine-port';
import { EVENTS_PER_DECISION, EVENTS_PER_LOCAL_ACTIVITY, HistoryBudget } from './history-budget';
import { decideUpdate, migrateUpdate, pauseSignal, resumeSignal, type RunState, stateQuery } from './messages';
import { migratedCheckpoint, type MigrationInput, migrationProblems, nodeOfStepKey, renamedStepKey } from './migration';
import { projection, WriteBehind } from './projection-writer';
import { RunStatusKey, VersionKey, WaitingOnKey } from './search-attributes';
import { FAILURES } from '../lib/failures';
import type { Checkpoint, RunGraphInput, RunGraphResult } from './types';
import type { RunFinishedInput } from '../activities/projection';

export async function runGraph(args: RunGraphInput): Promise<RunGraphResult> {
  const runId = workflowInfo().workflowId;
  const { tenantId, definition, continued: carried } = args;
  const startedAt = carried?.startedAt ?? new Date(Date.now()).toISOString();
  let status: RunState['status'] = carried?.paused ? 'paused' : 'running';
  let handle: RunHandle | undefined;
  const desk = new ApprovalDesk(args.triggeredBy, carried);
  const budget = new HistoryBudget(args.historyLimit);
  // Runs started by the API, a webhook or an event have their row already (`pending`, runs/run-row.ts), so their
  // start may ride with their first work; a schedule's run or a subworkflow's child is inserted by that write.
  const hasRow = !workflowInfo().parent && args.trigger.type !== 'schedule';
  const writes = new WriteBehind({ tenantId, runId }, () => budget.add(EVENTS_PER_LOCAL_ACTIVITY), hasRow);
  const notices = new RunNotices(args, runId, startedAt);
  // A later generation carries the seed inside its checkpoint: the seed only fills the first generation's memo.
  const memo = memoFrom(carried ?? args.seed?.memo);

  const setStatus = async (next: 'running' | 'paused') => {
    status = next;
    upsertSearchAttributes([{ key: RunStatusKey, value: next }]);
    await projection.setRunStatus({ tenantId, runId, status: next });
  };
  setHandler(stateQuery, () => ({
    ...(handle?.snapshot() ?? { activeNodes: [], visits: {}, progress: 0, finished: false }),
    status,
    pendingApprovals: desk.views(),
  }));
  setHandler(pauseSignal, async () => {
    if (status === 'running') await setStatus('paused');
  });
  setHandler(resumeSignal, async () => {
    if (status === 'paused') await setStatus('running');
  });
  setHandler(
    decideUpdate,
    (input) => {
      budget.add(EVENTS_PER_DECISION);
      return desk.decide(input, new Date(Date.now()).toISOString());
    },
    { validator: (input) => desk.validate(input) },
  );
  desk.listen(() => budget.add(EVENTS_PER_DECISION));
  let migration: MigrationInput | undefined;
  setHandler(
    migrateUpdate,
    (input) => {
      migration = input;
      budget.add(EVENTS_PER_DECISION);
      budget.drainNow();
      const waitingAt = (handle?.snapshot().activeNodes ?? []).map((id) => input.nodeMapping[id] ?? id);
      return { fromVersion: definition.version, toVersion: input.definition.version, waitingAt };
    },
    {
      validator: (input) => {
        if (migration || !handle || handle.snapshot().finished || status === 'cancelled')
          throw ApplicationFailure.nonRetryable(
            migration
              ? `The run is already moving to version ${migration.definition.version}.`
              : 'The run is finishing; it can no longer move to another version.',
            FAILURES.MigrationConflict.type,
          );
        const position = { activeNodes: handle.snapshot().activeNodes, pendingApprovals: desk.waiting() };
        const problems = migrationProblems(definition.graph, input.definition.graph, input.nodeMapping, position);
        if (problems.length)
          throw ApplicationFailure.nonRetryable(
            `The run cannot move to version ${input.definition.version} (${problems.length} problem(s)); it stays on version ${definition.version}.`,
            FAILURES.MigrationRefused.type,
            { problems },
          );
      },
    },
  );

  if (!carried) {
    const { workflowId, versionId, version } = definition;
    const { input, triggeredBy, priority } = args;
    const started = {
      tenantId,
      runId,
      workflowId,
      versionId,
      version,
      input,
      triggeredBy,
      triggerSource: args.trigger.type,
      priority,
      startedAt,
    };
    if (writes.batches) writes.gatherStart(started);
    else await projection.recordRunStarted(started);
    upsertSearchAttributes([{ key: RunStatusKey, value: 'running' }]);
  }

  const awaitApproval = approvalWaiter({ args, runId, desk, budget, writes, notices });
  const isHeld = () => status === 'paused' || budget.draining;
  const port = enginePort({ args, runId, memo, budget, writes, notices, awaitApproval, isHeld });
  const runScope = new CancellationScope();
  const timeoutMs = parseDuration(definition.graph.configuration?.timeout);
  let outcome: RunOutcome | 'continue';
  try {
    outcome = await runScope.run(async () => {
      const run = {
        id: runId,
        workflowId: definition.workflowId,
        workflowName: definition.name,
        version: definition.version,
        startedAt,
        triggeredBy: args.triggeredBy,
        priority: args.priority,
      };
      const variables = args.variables ? { variables: args.variables } : {};
      handle = startRun(
        { definition: definition.graph, input: args.input, trigger: args.trigger, ...variables, run },
        port,
      );
      const racers: Array<Promise<RunOutcome | 'timeout' | 'continue'>> = [handle.outcome];
      if (timeoutMs !== undefined) {
        const deadline = Date.parse(startedAt) + timeoutMs;
        racers.push(
          sleep(Math.max(1, deadline - Date.now()), { summary: 'run timeout' }).then(() => 'timeout' as const),
        );
      }
      // Long runs: once the history is long, stop starting nodes, let work in flight finish, and continue as new.
      racers.push(budget.whenDrained());
      // The losers are cancelled with the run scope; nobody waits on them then.
      for (const racer of racers.slice(1)) racer.catch(() => undefined);
      const first = await Promise.race(racers);
      if (first !== 'timeout') return first;
      const error = {
        message: `the run exceeded its timeout of ${definition.graph.configuration?.timeout}`,
        type: FAILURES.RunTimeout.type,
      };
      return { status: 'failed', output: null, error, visits: handle.snapshot().visits } satisfies RunOutcome;
    });
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Only a cancellation asked of the run cancels it. A local activity cancelled under a workflow task the worker
    // is losing (evicted, timed out: under load, with the task queued long) reaches here too; recording that as
    // the run's end would write `cancelled` from a task that never counts, while the run goes on waiting. A plain
    // error fails this workflow task instead, and Temporal replays the run as its history has it.
    if (!CancellationScope.current().consideredCancelled)
      throw new Error(`a cancellation the run was not asked for reached it (${(error as Error).message})`);
    // Cancelled from outside: record it, then let Temporal close the run as cancelled.
    await CancellationScope.nonCancellable(async () => {
      status = 'cancelled';
      desk.cancelAll();
      // A pause completing beside the run's end would make Temporal refuse that workflow task (and replay it all).
      // Runs that never paused wait for nothing, not even a tick: they replay as they ran.
      const pause = budget.pace.running();
      if (pause) await pause;
      await writes.drained();
      const completedAt = new Date(Date.now()).toISOString();
      await projection.recordRunFinished({
        tenantId,
        runId,
        status: 'cancelled',
        output: null,
        error: { message: 'the run was cancelled' },
        completedAt,
      });
      upsertSearchAttributes([
        { key: RunStatusKey, value: 'cancelled' },
        { key: WaitingOnKey, value: [] },
      ]);
    });
    throw error;
  }
  // Whatever is still in flight (other branches after an end, the timeout timer) stops here.
  runScope.cancel();
  // A run that gathers its writes ends with one batch: its last steps and its end together (finish()).
  if (outcome === 'continue' || !writes.batches) await writes.drained();

  if (outcome === 'continue') {
    const generation = (carried?.generation ?? 0) + 1;
    const checkpoint: Checkpoint = {
      startedAt,
      generation,
      paused: status === 'paused',
      ...memo,
      ...desk.checkpoint(),
    };
    const { seed: _inCheckpoint, ...rest } = args;
    if (migration) return moveTo(migration, rest, checkpoint);
    return continueAsNew<typeof runGraph>({ ...rest, continued: checkpoint });
  }
  return finish(outcome);

  /**
   * Continues as new on the version `move` names, everything the run knows renamed by its mapping (migration.ts); the
   * projection first takes the new version and the waiting steps' new names.
   */
  async function moveTo(move: MigrationInput, rest: RunGraphInput, checkpoint: Checkpoint): Promise<never> {
    const { nodeMapping } = move;
    const waitingKeys = [
      ...Object.keys(checkpoint.pendingApprovals),
      ...Object.entries(checkpoint.timers)
        .filter(([, deadline]) => deadline !== 0)
        .map(([key]) => key),
    ];
    const renamed = waitingKeys
      .map((from) => ({
        from,
        to: renamedStepKey(from, nodeMapping),
        nodeId: nodeOfStepKey(renamedStepKey(from, nodeMapping)),
      }))
      .filter(({ from, to }) => from !== to);
    const moved = migratedCheckpoint(checkpoint, nodeMapping);
    await projection.recordRunMigrated({
      tenantId,
      runId,
      versionId: move.definition.versionId,
      version: move.definition.version,
      migration: {
        at: new Date(Date.now()).toISOString(),
        by: move.by,
        fromVersion: definition.version,
        toVersion: move.definition.version,
        nodeMapping,
      },
      renamedSteps: renamed,
      approvals: Object.values(moved.pendingApprovals).map((p) => ({
        approvalId: p.approvalId,
        stepKey: p.request.stepKey,
        nodeId: p.request.nodeId,
      })),
    });
    upsertSearchAttributes([{ key: VersionKey, value: move.definition.version }]);
    const triggerNode = rest.trigger.nodeId;
    const trigger = triggerNode ? { ...rest.trigger, nodeId: nodeMapping[triggerNode] ?? triggerNode } : rest.trigger;
    return continueAsNew<typeof runGraph>({ ...rest, definition: move.definition, trigger, continued: moved });
  }

  /** Records how the run ended, tells whoever listens, and closes the workflow with the same status. */
  async function finish({ status: ended, output, error }: RunOutcome): Promise<RunGraphResult> {
    status = ended;
    const finished = { tenantId, runId, status: ended, output, error, completedAt: new Date(Date.now()).toISOString() };
    const about = { ...notices.about, version: definition.version, status: ended, output, error };
    if (writes.batches) {
      // Gathering began after platform events did: such a run emits them without asking.
      const event = ended === 'cancelled' ? undefined : notices.event(`run.${ended}`, about, runId);
      writes.gatherEnd(finished, event ? [event] : []);
      await writes.drained();
      if (ended !== 'cancelled' && notices.listens(ended))
        await notices.notify(ended, 'run', { status: ended, output, error });
    } else await recordEndOneByOne(finished, about);
    upsertSearchAttributes([
      { key: RunStatusKey, value: ended },
      // The cast types an empty list as the keyword list the search attribute holds.
      ...(desk.size ? [{ key: WaitingOnKey, value: [] as string[] }] : []),
    ]);
    // Non-retryable: the definition or its data made the run fail; retrying the workflow would fail the same way.
    if (ended === 'failed')
      throw ApplicationFailure.nonRetryable(error?.message ?? 'the run failed', FAILURES.RunFailed.type, error);
    return { status: ended, output, error };
  }

  /** How runs from before 'projection-batches' record their end: a local activity each, in this order. */
  async function recordEndOneByOne(
    finished: RunFinishedInput & Pick<RunOutcome, 'status'>,
    about: Record<string, unknown>,
  ): Promise<void> {
    const { status: ended, output, error } = finished;
    await projection.recordRunFinished(finished);
    if (ended !== 'cancelled') {
      if (notices.listens(ended)) await notices.notify(ended, 'run', { status: ended, output, error });
      // Runs before platform events emitted none: patched() keeps their histories replaying.
      if (patched('platform-events')) await notices.emit(`run.${ended}`, about, runId);
    }
  }
}
