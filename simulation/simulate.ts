/**
 * A dry run: the engine itself walks a definition through the simulated port, on a clock that stands still while
 * the engine works and jumps to the next timer when every branch waits. Nothing is sent, stored or started. It answers
 * how the run would end, the path it would take with simulated times, what fell due on the way (reminders,
 * escalations, expiries), and what it would still be waiting on.
 *
 * The definition is taken as given: callers validate it first (a draft's problems are the validator's to list).
 */
import { type NodeError, type RunInfo, startRun } from '../interpreter/engine';
import type { Definition } from '../interpreter/schema';
import { SimulatedClock } from './clock';
import {
  type PathEntry,
  SimulatedPort,
  type SimulatedWait,
  type SimulationEvent,
  SimulationLimit,
} from './simulated-port';
import type { SimulationScript } from './script';

export { SimulationLimit } from './simulated-port';

/** Real time a simulation may take before it is refused: a preview answers quickly or says why it cannot. */
export const SIMULATION_WALL_CLOCK_MS = 2_000;
/** Steps a simulation may record; a graph that needs more is not one a person previews step by step. */
export const SIMULATION_MAX_STEPS = 20_000;

/** The last moment the simulated clock may show: dates past it cannot be written in ISO 8601's four-digit years. */
const LAST_MOMENT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface SimulationRequest {
  /** A valid definition (validated by the caller). */
  definition: Definition;
  input: unknown;
  script: SimulationScript;
  /** When the simulated run starts (ms since epoch); now when absent. */
  startAt?: number;
  /** The tenant's variables (`{{ vars.NAME }}`), as a run would read them. */
  variables?: Record<string, unknown>;
  run?: Partial<RunInfo>;
  limits?: { wallClockMs?: number; maxSteps?: number };
}

export type SimulationStatus = 'completed' | 'failed' | 'cancelled' | 'waiting';

export interface SimulationResult {
  status: SimulationStatus;
  output: unknown;
  error: (NodeError & { nodeId?: string }) | null;
  startedAt: string;
  /** Simulated time when the run ended, or when it began to wait for good. */
  endedAt: string;
  elapsedMs: number;
  path: PathEntry[];
  events: SimulationEvent[];
  waits: SimulatedWait[];
  visits: Record<string, number>;
}

/** Resolves once every microtask queued so far has run: the engine has gone as far as it can without a timer. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Simulates a run. Rejects with SimulationLimit when it takes too long or too many steps. */
export async function simulate(request: SimulationRequest): Promise<SimulationResult> {
  const startedAt = request.startAt ?? Date.now();
  const deadline = Date.now() + (request.limits?.wallClockMs ?? SIMULATION_WALL_CLOCK_MS);
  const clock = new SimulatedClock(startedAt);
  const port = new SimulatedPort(clock, request.script, startedAt, {
    deadline,
    maxSteps: request.limits?.maxSteps ?? SIMULATION_MAX_STEPS,
  });
  const handle = startRun(
    {
      definition: request.definition,
      input: request.input,
      trigger: { type: 'manual' },
      variables: request.variables ?? {},
      run: {
        id: 'simulation',
        workflowId: 'simulation',
        workflowName: request.definition.name ?? 'simulation',
        version: 0,
        triggeredBy: null,
        priority: 'normal',
        ...request.run,
        startedAt: new Date(startedAt).toISOString(),
      },
    },
    port,
  );
  let settled: { ok: true; outcome: Awaited<typeof handle.outcome> } | { ok: false; error: unknown } | undefined;
  handle.outcome.then(
    (outcome) => (settled = { ok: true, outcome }),
    (error: unknown) => (settled = { ok: false, error }),
  );
  for (;;) {
    await nextTurn();
    if (settled) break;
    if (port.yielding > 0) continue;
    if (Date.now() > deadline)
      throw new SimulationLimit('the simulation ran out of time; is a cycle of delays longer than it should be?');
    const next = clock.nextAt();
    if (next !== undefined && next > LAST_MOMENT)
      throw new SimulationLimit('the simulated clock would pass the year 9999; is a delay or a deadline that long?');
    // Every branch waits: time moves to the next timer, or, when there is none, the run waits for good.
    if (!clock.advance()) break;
  }
  const base = {
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(clock.now()).toISOString(),
    elapsedMs: clock.now() - startedAt,
    path: port.path(),
    events: port.events,
  };
  // `settled` is written by the callbacks above; TypeScript cannot see that across the awaits.
  const result = settled as typeof settled;
  if (!result) {
    const { visits } = handle.snapshot();
    return { status: 'waiting', output: null, error: null, ...base, waits: port.waits, visits };
  }
  if (!result.ok) throw result.error;
  const { status, output, error, visits } = result.outcome;
  return { status, output, error, ...base, waits: [], visits };
}
