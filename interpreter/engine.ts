/**
 * The graph interpreter: walks a published definition from its trigger,
 * running each node through a small port (do this work, wait this long, wait
 * for this decision, record this step). It holds no I/O of its own, so the
 * workflow can host it deterministically and tests can drive it with a fake
 * port.
 *
 * Where things are: the port's types (port.ts), the typed node model
 * (node-model.ts) and graph (graph.ts), the walk (graph-run.ts), what each
 * node does (node-runners.ts), loops (loops.ts), defaults and retry layering
 * (limits.ts). Everything the workflow needs is exported from here.
 */
import { RunFailure } from './failures';
import { parseGraph } from './graph';
import { GraphRun } from './graph-run';
import type { EnginePort, RunHandle, RunOutcome, RunStart } from './port';

export type {
  ApprovalRequest,
  ApprovalResult,
  ChildRequest,
  EnginePort,
  NodeError,
  NodeState,
  RetryPolicy,
  RunContext,
  RunHandle,
  RunInfo,
  RunOutcome,
  RunProgress,
  RunSnapshot,
  RunStart,
  StepRecord,
  StepStatus,
  TriggerInfo,
  WorkRequest,
  WorkResult,
} from './port';
export {
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_MAX_NODE_VISITS,
  DEFAULT_RETRY,
  DEFAULT_WORK_TIMEOUT_MS,
  retryFor,
} from './limits';
export { RunFailure } from './failures';

/**
 * Starts interpreting a definition through the port. The stored definition is parsed here, once per run (and
 * again on each replay: it is pure). `outcome` rejects only on a bug or a cancellation; everything a definition
 * can cause is an outcome.
 */
export function startRun(start: RunStart, port: EnginePort): RunHandle {
  const parsed = parseGraph(start.definition);
  if (!parsed.ok) {
    const run = new GraphRun(
      start,
      { nodes: new Map(), triggers: [], outgoing: new Map(), incoming: new Map(), retry: {}, maxNodeVisits: 0 },
      port,
    );
    const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    return {
      outcome: run.refuse(new RunFailure(`the definition does not parse: ${problems}`)),
      snapshot: () => run.snapshot(),
    };
  }
  const run = new GraphRun(start, parsed.graph, port);
  return { outcome: run.execute(), snapshot: () => run.snapshot() };
}

/** Runs a definition to its end through the port. */
export function interpret(start: RunStart, port: EnginePort): Promise<RunOutcome> {
  return startRun(start, port).outcome;
}
