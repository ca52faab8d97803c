/**
 * Loops: a loop node runs its body once per element of a list, up to
 * `concurrency` iterations at a time, each in a scope of its own (its `item`,
 * `index` and node outputs), and leaves by `done` with every iteration's last
 * output. An edge from the body back to the loop ends an iteration.
 */
import { ConditionError } from './conditions';
import { RunFailure } from './failures';
import type { NodeOf, TypedEdge } from './node-model';
import { getPath } from './paths';
import type { NodeState, RunContext } from './port';
import { route } from './route';
import { describeNode } from './node-handles';
import type { NodeExecution, NodeResult, RecordBegun } from './node-runners';

type LoopNode = NodeOf<'loop'>;

/** One iteration of a loop: where a body branch runs, with its own `item`, `index` and node outputs. */
export interface Scope {
  loop: LoopState;
  index: number;
  item: unknown;
  parent: Scope | null;
  /** `each_item[3]/` (nested: `outer[0]/inner[2]/`): prefixes step keys inside the iteration. */
  prefix: string;
  nodes: Record<string, NodeState>;
  /** Branches of this iteration still running: the iteration is done when none is left. */
  branches: number;
  done: boolean;
  lastOutput: unknown;
}

export interface LoopState {
  node: LoopNode;
  scope: Scope | null;
  items: unknown[];
  next: number;
  running: number;
  finished: number;
  results: unknown[];
  /** Hands the loop node its output once every iteration is done. */
  settle: (results: unknown[]) => void;
  /** Fails the loop node (and so the run) when an iteration cannot start. */
  abort: (failure: RunFailure) => void;
}

/** What loops ask of the run walking the graph. */
export interface LoopHost {
  readonly recordBegun: RecordBegun;
  /** The context a node in `scope` reads. */
  contextFor(scope: Scope | null): RunContext;
  /** Starts a branch along `edge`, inside `scope`. */
  spawn(edge: TypedEdge, scope: Scope): void;
  outgoing(nodeId: string): readonly TypedEdge[];
  /** The run has its outcome: start nothing more. */
  isOver(): boolean;
}

/** Runs the loop node: resolves once every iteration is done, leaving by `done`. */
export async function runLoop(execution: NodeExecution<LoopNode>, host: LoopHost): Promise<NodeResult> {
  const { node, context } = execution;
  const { forEach, maxIterations } = node.data;
  const list = getPath(context, forEach);
  if (!Array.isArray(list))
    throw new RunFailure(
      `node ${describeNode(node)}: forEach "${forEach}" is not a list (it is ${list === undefined ? 'missing' : typeof list})`,
      node.id,
    );
  if (list.length > maxIterations)
    throw new RunFailure(
      `node ${describeNode(node)}: the list has ${list.length} items, more than maxIterations (${maxIterations})`,
      node.id,
    );
  const input = { count: list.length };
  await host.recordBegun(execution, 'running', input);
  const results =
    list.length === 0
      ? []
      : await new Promise<unknown[]>((resolve, reject) => {
          const loop: LoopState = {
            node,
            scope: execution.scope,
            items: list,
            next: 0,
            running: 0,
            finished: 0,
            results: new Array<unknown>(list.length).fill(null),
            settle: resolve,
            abort: reject,
          };
          startIterations(loop, host);
        });
  return { handle: 'done', output: results, input };
}

/** Starts iterations until `concurrency` run at once or none is left. */
function startIterations(loop: LoopState, host: LoopHost): void {
  while (!host.isOver() && loop.running < loop.node.data.concurrency && loop.next < loop.items.length) {
    const index = loop.next++;
    loop.running++;
    const item = loop.items[index];
    const scope: Scope = {
      loop,
      index,
      item,
      parent: loop.scope,
      prefix: `${loop.scope?.prefix ?? ''}${loop.node.id}[${index}]/`,
      nodes: {},
      branches: 0,
      done: false,
      lastOutput: null,
    };
    const body = routeBody(loop, scope, host);
    if (body.kind === 'failed') {
      // Like "no route" anywhere else, this fails the run; the loop node is where it stands.
      loop.abort(body.failure);
      return;
    }
    if (body.kind === 'dead-end') {
      // A loop without a body: the iteration is over at once, with nothing.
      scope.done = true;
      // This loop starts the next iteration: asking iterationDone to would recurse once per item (10,000 overflow the
      // stack).
      iterationDone(loop, index, null, host, false);
      continue;
    }
    for (const edge of body.edges) host.spawn(edge, scope);
  }
}

type BodyRoute =
  { kind: 'targets'; edges: TypedEdge[] } | { kind: 'dead-end' } | { kind: 'failed'; failure: RunFailure };

function routeBody(loop: LoopState, scope: Scope, host: LoopHost): BodyRoute {
  const { node } = loop;
  try {
    const next = route(host.outgoing(node.id), node.id, 'body', host.contextFor(scope));
    if (next.kind === 'no-route') return { kind: 'failed', failure: new RunFailure(next.message, node.id) };
    return next;
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    return { kind: 'failed', failure: new RunFailure(`node ${describeNode(node)}: ${error.message}`, node.id) };
  }
}

/** Ends an iteration (once), with `output`, or else the last output of its branches. */
export function completeIteration(scope: Scope, host: LoopHost, output?: unknown): void {
  if (scope.done) return;
  scope.done = true;
  iterationDone(scope.loop, scope.index, output === undefined ? scope.lastOutput : output, host);
}

function iterationDone(loop: LoopState, index: number, output: unknown, host: LoopHost, startNext = true): void {
  loop.results[index] = output ?? null;
  loop.running--;
  loop.finished++;
  if (loop.finished === loop.items.length) {
    loop.settle(loop.results);
    return;
  }
  if (startNext) startIterations(loop, host);
}

/** The nodes reachable from a loop's body handle: an edge from one of them back to the loop ends an iteration. */
export function reachableFromBody(loopId: string, outgoing: (nodeId: string) => readonly TypedEdge[]): Set<string> {
  const seen = new Set<string>();
  const queue = outgoing(loopId)
    .filter((e) => e.sourceHandle === 'body')
    .map((e) => e.target);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (id === loopId || seen.has(id)) continue;
    seen.add(id);
    for (const e of outgoing(id)) queue.push(e.target);
  }
  return seen;
}
