/**
 * The worst-case work of a graph (definition-format.md, "v2 additions"): how
 * many node executions one run can make at most, so publish can refuse a
 * graph whose runs would stall the worker. Pure and total: any definition the
 * structural schema accepts gives a number (Infinity when unbounded).
 *
 * The bound mirrors the engine: a node runs at most once for each time an
 * edge into it is taken; a loop's body edges are taken once per iteration
 * (`maxIterations`, default DEFAULT_MAX_ITERATIONS); an edge from the body
 * back to its loop ends an iteration and starts nothing; a node on a cycle
 * runs up to `maxNodeVisits` times in each scope it can run in (the run's, or
 * one loop iteration's), which is also a cap on every node.
 */
import { DEFAULT_MAX_ITERATIONS, DEFAULT_MAX_NODE_VISITS } from './limits';
import type { Definition } from './schema';

export const DEFAULT_MAX_GRAPH_WORK = 100_000;

export interface GraphWork {
  /** Node executions in the worst case; Infinity when unbounded. */
  total: number;
  /** The node that runs most often, and how often. */
  heaviest: { nodeId: string; index: number; work: number } | null;
  /** The loops enclosing the heaviest node, outermost first, with their iteration limits. */
  nesting: Array<{ nodeId: string; maxIterations: number }>;
  /** The heaviest node is on a cycle, so `maxNodeVisits` multiplies its work. */
  onCycle: boolean;
}

/** An edge between node numbers, its handle normalised (`null` for none). */
interface Edge {
  from: number;
  to: number;
  handle: string | null;
}

interface Loop {
  node: number;
  maxIterations: number;
  /** Nodes that may run inside one iteration (reached from the loop's `body` edges, and from edges with no handle). */
  scope: Uint8Array;
  /** The same nodes, listed. */
  members: number[];
  /**
   * The engine's own body set (edges whose handle is `body`): an edge from one of these into the loop ends an
   * iteration.
   */
  body: Uint8Array;
  /**
   * The loop can start again inside its own iteration, each time one level deeper: the engine's visit count never stops
   * it.
   */
  nests?: boolean;
}

// Nodes are numbered and sets are byte arrays: a hostile graph of 1,000 loops and 5,000 edges is walked once per
// loop, and publish must answer it at once.
export function graphWork(definition: Definition): GraphWork {
  const number = new Map<string, number>();
  const firstIndex: number[] = [];
  const types: string[] = [];
  const datas: Array<Record<string, unknown>> = [];
  definition.nodes.forEach((node, i) => {
    if (number.has(node.id)) return;
    number.set(node.id, firstIndex.length);
    firstIndex.push(i);
    types.push(node.type);
    datas.push(node.data);
  });
  const ids = [...number.keys()];
  const n = ids.length;
  const edges: Edge[] = [];
  for (const e of definition.edges) {
    const from = number.get(e.source);
    const to = number.get(e.target);
    if (from !== undefined && to !== undefined) edges.push({ from, to, handle: e.sourceHandle ?? null });
  }
  const outgoing: Edge[][] = Array.from({ length: n }, () => []);
  for (const e of edges) at(outgoing, e.from).push(e);
  const maxVisits = definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS;
  const triggers = types.flatMap((type, i) => (type === 'trigger' ? [i] : []));
  const isTrigger = (i: number) => types[i] === 'trigger';
  const entersIteration = (e: Edge) => e.handle === 'body' && types[e.from] === 'loop';
  // A node inherits its scope along edges; only a loop's body edges start a new one. So what is reached from the
  // triggers without them runs in the run's own scope.
  const topLevel = reach(n, triggers, -1, outgoing, (e) => !entersIteration(e));

  const loops = new Map<number, Loop>();
  types.forEach((type, i) => {
    if (type !== 'loop') return;
    const max = at(datas, i).maxIterations;
    const leaving = at(outgoing, i);
    const bodyMembers: number[] = [];
    const body = reach(
      n,
      leaving.filter((e) => e.handle === 'body').map((e) => e.to),
      i,
      outgoing,
      undefined,
      bodyMembers,
    );
    // An edge with no handle leaves by `body` too (route.ts), so what it reaches runs in the iteration's scope.
    const plain = leaving.filter((e) => e.handle === null);
    const scopeMembers: number[] = [];
    const scope = plain.length
      ? reach(
          n,
          leaving.filter((e) => e.handle === 'body' || e.handle === null).map((e) => e.to),
          i,
          outgoing,
          undefined,
          scopeMembers,
        )
      : body;
    loops.set(i, {
      node: i,
      maxIterations: typeof max === 'number' && max >= 1 ? max : DEFAULT_MAX_ITERATIONS,
      scope,
      members: plain.length ? scopeMembers : bodyMembers,
      body,
    });
  });
  /** For each node, the loops it may run inside, outermost (largest scope) first. */
  const enclosing: Loop[][] = Array.from({ length: n }, () => []);
  for (const loop of [...loops.values()].sort((a, b) => b.members.length - a.members.length)) {
    for (const v of loop.members) at(enclosing, v).push(loop);
  }
  const incomingAll: Edge[][] = Array.from({ length: n }, () => []);
  for (const e of edges) at(incomingAll, e.to).push(e);

  /**
   * The engine takes an edge from the body into its loop as the end of an iteration, unless it comes from outside one.
   */
  const isReturn = (e: Edge) => {
    const loop = loops.get(e.to);
    if (!loop || !loop.body[e.from]) return false;
    return !reachedFromOutside(e.from, loop.node, incomingAll, isTrigger);
  };
  const counted = edges.filter((e) => !isReturn(e));
  for (const e of counted) {
    const loop = loops.get(e.to);
    if (loop && ((e.from === e.to && e.handle !== 'done') || (loop.scope[e.from] && !loop.body[e.from])))
      loop.nests = true;
  }
  const components = stronglyConnected(n, counted);
  const cyclic = new Uint8Array(n);
  for (const component of components) {
    if (component.length > 1) for (const v of component) cyclic[v] = 1;
  }
  for (const e of counted) if (e.from === e.to) cyclic[e.from] = 1;
  const incoming: Edge[][] = Array.from({ length: n }, () => []);
  for (const e of counted) at(incoming, e.to).push(e);

  const work = new Float64Array(n);
  const known = new Uint8Array(n);
  // Unknown yet means a loop that encloses a node without coming before it (only in contrived graphs): assume the
  // worst.
  const workOf = (v: number) => (known[v] ? at(work, v) : Infinity);
  const settle = (v: number, w: number) => {
    work[v] = w > 0 && loops.get(v)?.nests ? Infinity : w;
    known[v] = 1;
  };
  /** How many times an edge is taken: once per run of its source, once per iteration for a loop's body edges. */
  const taken = (e: Edge): number => {
    const loop = loops.get(e.from);
    const runs = known[e.from] ? at(work, e.from) : 0;
    if (!loop) return runs;
    if (e.handle === 'body') return runs * loop.maxIterations;
    if (e.handle === null) return runs * (loop.maxIterations + 1);
    return runs;
  };
  /**
   * The scopes a node can run in: the run's, and each iteration of each loop enclosing it (the engine counts visits per
   * scope).
   */
  const scopes = (v: number): number =>
    at(enclosing, v).reduce((sum, loop) => sum + workOf(loop.node) * loop.maxIterations, topLevel[v] ? 1 : 0);

  // Tarjan's algorithm yields components sinks first: walk them sources first.
  for (const component of [...components].reverse()) {
    if (component.length === 1 && !cyclic[at(component, 0)]) {
      const v = at(component, 0);
      const arrivals = at(incoming, v).map(taken);
      const sum = (isTrigger(v) ? 1 : 0) + arrivals.reduce((a, b) => a + b, 0);
      const mode = types[v] === 'join' ? (at(datas, v).mode === 'any' ? 'any' : 'all') : undefined;
      const inScopes = scopes(v);
      // A join `all` goes on once every incoming edge has delivered; `any` once per scope.
      const runs =
        mode === 'all' && arrivals.length ? Math.min(...arrivals) : mode === 'any' ? Math.min(sum, inScopes) : sum;
      settle(v, Math.min(maxVisits * inScopes, runs));
      continue;
    }
    const inside = new Set(component);
    const reached = component.some(
      (v) => isTrigger(v) || at(incoming, v).some((e) => !inside.has(e.from) && taken(e) > 0),
    );
    // Loops first: the scopes of the other members may depend on them.
    const ordered = [...component].sort((a, b) => Number(loops.has(b)) - Number(loops.has(a)));
    for (const v of ordered) settle(v, reached ? maxVisits * scopes(v) : 0);
  }

  let total = 0;
  let top = -1;
  for (let v = 0; v < n; v++) {
    total += at(work, v);
    // Ties go to the more deeply nested node: its nesting is the clearer explanation.
    if (
      top < 0 ||
      at(work, v) > at(work, top) ||
      (work[v] === work[top] && at(enclosing, v).length > at(enclosing, top).length)
    )
      top = v;
  }
  return {
    total,
    heaviest: top < 0 ? null : { nodeId: at(ids, top), index: at(firstIndex, top), work: at(work, top) },
    nesting:
      top < 0 ? [] : at(enclosing, top).map((l) => ({ nodeId: at(ids, l.node), maxIterations: l.maxIterations })),
    onCycle: top >= 0 && cyclic[top] === 1,
  };
}

/**
 * Reads index `i` of a list sized to the graph: node numbers run from 0 to n - 1 and every per-node list has n
 * entries, so it is always there; a miss is a bug here, thrown as one rather than read as undefined.
 */
function at<T>(list: ArrayLike<T>, i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`graph work: no entry ${i} of ${list.length}`);
  return value;
}

/**
 * Whether a trigger reaches `node` without taking one of `loop`'s body edges: then an edge from it into the loop
 * starts the loop again. Searched backwards from the node, since a body is small and the graph may not be: a search
 * forwards from the triggers for every loop made publish quadratic in a graph of many loops.
 */
function reachedFromOutside(
  node: number,
  loop: number,
  incoming: Edge[][],
  isTrigger: (v: number) => boolean,
): boolean {
  const seen = new Set<number>();
  const stack = [node];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (seen.has(v)) continue;
    if (isTrigger(v)) return true;
    seen.add(v);
    for (const e of at(incoming, v))
      if (!(e.handle === 'body' && e.from === loop) && !seen.has(e.from)) stack.push(e.from);
  }
  return false;
}

/**
 * Nodes reached from `start` along the edges `follow` allows, without passing through `stop` (the engine's
 * `reachableFromBody`).
 */
function reach(
  n: number,
  start: number[],
  stop: number,
  outgoing: Edge[][],
  follow?: (e: Edge) => boolean,
  members?: number[],
): Uint8Array {
  const seen = new Uint8Array(n);
  const stack = [...start];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (v === stop || seen[v]) continue;
    seen[v] = 1;
    members?.push(v);
    for (const e of at(outgoing, v)) if (!seen[e.to] && (!follow || follow(e))) stack.push(e.to);
  }
  return seen;
}

/** Tarjan's strongly connected components, without recursion (a graph may be 1000 nodes deep). Sinks come first. */
function stronglyConnected(n: number, edges: Edge[]): number[][] {
  const next: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) at(next, e.from).push(e.to);
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const frames: Array<{ v: number; child: number }> = [{ v: root, child: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length) {
      const frame = at(frames, frames.length - 1);
      const children = at(next, frame.v);
      if (frame.child < children.length) {
        const child = at(children, frame.child++);
        if (index[child] === -1) {
          index[child] = low[child] = counter++;
          stack.push(child);
          onStack[child] = 1;
          frames.push({ v: child, child: 0 });
        } else if (onStack[child]) {
          low[frame.v] = Math.min(at(low, frame.v), at(index, child));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent.v] = Math.min(at(low, parent.v), at(low, frame.v));
      if (low[frame.v] === index[frame.v]) {
        const component: number[] = [];
        let v: number;
        do {
          v = at(stack, stack.length - 1);
          stack.pop();
          onStack[v] = 0;
          component.push(v);
        } while (v !== frame.v);
        components.push(component);
      }
    }
  }
  return components;
}

/** The problem publish reports when a graph's worst case is over the limit; none when it is within. */
export function checkGraphWork(
  definition: Definition,
  limit: number = DEFAULT_MAX_GRAPH_WORK,
): Array<{ path: string; message: string }> {
  const work = graphWork(definition);
  if (work.total <= limit || !work.heaviest) return [];
  const chain = [
    ...work.nesting.map((l) => `nodes.${l.nodeId} (maxIterations ${l.maxIterations})`),
    `nodes.${work.heaviest.nodeId}`,
  ];
  const shown =
    chain.length > 12 ? [...chain.slice(0, 8), `… ${chain.length - 11} more loops …`, ...chain.slice(-3)] : chain;
  const cycle = work.onCycle
    ? `, on a cycle of up to ${definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS} visits (maxNodeVisits)`
    : '';
  return [
    {
      path: `nodes[${work.heaviest.index}]`,
      message:
        `a run could make ${amount(work.total)} node runs, more than MAX_GRAPH_WORK (${amount(limit)}); ` +
        `the heaviest node runs ${amount(work.heaviest.work)} times: ${shown.join(' > ')}${cycle}. ` +
        `Lower maxIterations (a loop without it allows ${amount(DEFAULT_MAX_ITERATIONS)}) or maxNodeVisits, or move the inner work into a subworkflow.`,
    },
  ];
}

function amount(n: number): string {
  if (!Number.isFinite(n)) return 'unboundedly many';
  return n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(1).replace('e+', ' × 10^');
}
