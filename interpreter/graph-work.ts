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
import { DEFAULT_MAX_ITERATIONS, DEFAULT_MAX_NODE_VISITS } from './engine';
import type { Definition, GraphEdge } from './schema';

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

interface Loop {
  id: string;
  maxIterations: number;
  /** Nodes that may run inside one iteration (reached from the loop's `body` edges, including edges with no handle). */
  scope: Set<string>;
  /** The engine's own body set (edges whose handle is `body`): an edge from one of these into the loop ends an iteration. */
  body: Set<string>;
  /** Nodes that may run outside the loop's iterations: an edge from one of these into the loop may start it again. */
  outside: Set<string>;
}

export function graphWork(definition: Definition): GraphWork {
  const ids = [...new Set(definition.nodes.map((n) => n.id))];
  const known = new Set(ids);
  const edges = definition.edges.filter((e) => known.has(e.source) && known.has(e.target));
  const outgoing = new Map<string, GraphEdge[]>(ids.map((id) => [id, []]));
  for (const e of edges) outgoing.get(e.source)!.push(e);
  const maxVisits = definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS;
  const triggers = new Set(definition.nodes.filter((n) => n.type === 'trigger').map((n) => n.id));
  const loopIds = new Set(definition.nodes.filter((n) => n.type === 'loop').map((n) => n.id));
  const entersIteration = (e: GraphEdge, loopId?: string) => e.sourceHandle === 'body' && (loopId === undefined ? loopIds.has(e.source) : e.source === loopId);
  // A node inherits its scope along edges; only a loop's body edges start a new one. So what is reached from the
  // triggers without them runs in the run's own scope.
  const topLevel = reachable(null, [...triggers], outgoing, (e) => !entersIteration(e));

  const loops = new Map<string, Loop>();
  for (const node of definition.nodes) {
    if (node.type !== 'loop' || loops.has(node.id)) continue;
    const max = (node.data as { maxIterations?: unknown }).maxIterations;
    const leaving = outgoing.get(node.id)!;
    const targets = (edges: GraphEdge[]) => edges.map((e) => e.target);
    const body = reachable(node.id, targets(leaving.filter((e) => e.sourceHandle === 'body')), outgoing);
    // An edge with no handle leaves by `body` too (route.ts), so what it reaches runs in the iteration's scope.
    const plain = leaving.filter((e) => (e.sourceHandle ?? null) === null);
    const scope = plain.length ? reachable(node.id, targets(leaving.filter((e) => e.sourceHandle === 'body' || (e.sourceHandle ?? null) === null)), outgoing) : body;
    const outside = reachable(null, [...triggers], outgoing, (e) => !entersIteration(e, node.id));
    loops.set(node.id, { id: node.id, maxIterations: typeof max === 'number' && max >= 1 ? max : DEFAULT_MAX_ITERATIONS, scope, body, outside });
  }
  /** For each node, the loops it may run inside, outermost (largest scope) first. */
  const enclosing = new Map<string, Loop[]>(ids.map((id) => [id, []]));
  for (const loop of [...loops.values()].sort((a, b) => b.scope.size - a.scope.size)) for (const id of loop.scope) enclosing.get(id)!.push(loop);

  /** The engine takes an edge from the body into its loop as the end of an iteration, unless it comes from outside one. */
  const isReturn = (e: GraphEdge) => {
    const loop = loops.get(e.target);
    return loop !== undefined && loop.body.has(e.source) && !loop.outside.has(e.source);
  };
  const counted = edges.filter((e) => !isReturn(e));
  const components = stronglyConnected(ids, counted);
  const cyclic = new Set<string>();
  const selfEdged = new Set(counted.filter((e) => e.source === e.target).map((e) => e.source));
  for (const component of components) {
    if (component.length > 1 || selfEdged.has(component[0]!)) for (const id of component) cyclic.add(id);
  }
  const incoming = new Map<string, GraphEdge[]>(ids.map((id) => [id, []]));
  for (const e of counted) incoming.get(e.target)!.push(e);
  const joinModes = new Map(definition.nodes.filter((n) => n.type === 'join').map((n) => [n.id, (n.data as { mode?: unknown }).mode === 'any' ? 'any' : 'all']));

  const work = new Map<string, number>();
  // Unknown yet means a loop that encloses a node without coming before it (only in contrived graphs): assume the worst.
  const workOf = (id: string) => work.get(id) ?? Infinity;
  /** How many times an edge is taken: once per run of its source, once per iteration for a loop's body edges. */
  const taken = (e: GraphEdge): number => {
    const loop = loops.get(e.source);
    const runs = work.get(e.source) ?? 0;
    if (!loop) return runs;
    if (e.sourceHandle === 'body') return runs * loop.maxIterations;
    if ((e.sourceHandle ?? null) === null) return runs * (loop.maxIterations + 1);
    return runs;
  };
  /** The scopes a node can run in: the run's, and each iteration of each loop enclosing it (the engine counts visits per scope). */
  const scopeCounts = new Map<string, number>();
  const scopes = (id: string): number => {
    let count = scopeCounts.get(id);
    if (count === undefined) scopeCounts.set(id, (count = enclosing.get(id)!.reduce((sum, loop) => sum + workOf(loop.id) * loop.maxIterations, topLevel.has(id) ? 1 : 0)));
    return count;
  };

  // Tarjan's algorithm yields components sinks first: walk them sources first.
  for (const component of [...components].reverse()) {
    if (component.length === 1 && !cyclic.has(component[0]!)) {
      const id = component[0]!;
      const arrivals = incoming.get(id)!.map(taken);
      const sum = (triggers.has(id) ? 1 : 0) + arrivals.reduce((a, b) => a + b, 0);
      const mode = joinModes.get(id);
      // A join `all` goes on once every incoming edge has delivered; `any` once per scope.
      const runs = mode === 'all' && arrivals.length ? Math.min(...arrivals) : mode === 'any' ? Math.min(sum, scopes(id)) : sum;
      work.set(id, Math.min(maxVisits * scopes(id), runs));
      continue;
    }
    const inside = new Set(component);
    const reached = component.some((id) => triggers.has(id) || incoming.get(id)!.some((e) => !inside.has(e.source) && taken(e) > 0));
    // Loops first: the scopes of the other members may depend on them.
    const ordered = [...component].sort((a, b) => Number(loops.has(b)) - Number(loops.has(a)));
    for (const id of ordered) work.set(id, reached ? maxVisits * scopes(id) : 0);
  }

  let total = 0;
  let heaviest: GraphWork['heaviest'] = null;
  const seen = new Set<string>();
  definition.nodes.forEach((node, index) => {
    if (seen.has(node.id)) return;
    seen.add(node.id);
    const w = work.get(node.id) ?? 0;
    total += w;
    // Ties go to the more deeply nested node: its nesting is the clearer explanation.
    if (!heaviest || w > heaviest.work || (w === heaviest.work && enclosing.get(node.id)!.length > enclosing.get(heaviest.nodeId)!.length)) heaviest = { nodeId: node.id, index, work: w };
  });
  const top = heaviest as GraphWork['heaviest'];
  return {
    total,
    heaviest: top,
    nesting: top ? enclosing.get(top.nodeId)!.map((l) => ({ nodeId: l.id, maxIterations: l.maxIterations })) : [],
    onCycle: top ? cyclic.has(top.nodeId) : false,
  };
}

/** Nodes reached from `start` along the edges `follow` allows, without passing through `stop` (the engine's `reachableFromBody`). */
function reachable(stop: string | null, start: string[], outgoing: Map<string, GraphEdge[]>, follow: (e: GraphEdge) => boolean = () => true): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length) {
    const id = queue.pop()!;
    if (id === stop || seen.has(id)) continue;
    seen.add(id);
    for (const e of outgoing.get(id) ?? []) if (follow(e)) queue.push(e.target);
  }
  return seen;
}

/** Tarjan's strongly connected components, without recursion (a graph may be 1000 nodes deep). Sinks come first. */
function stronglyConnected(ids: string[], edges: GraphEdge[]): string[][] {
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) next.get(e.source)!.push(e.target);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const frames: Array<{ id: string; child: number }> = [{ id: root, child: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const children = next.get(frame.id)!;
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          frames.push({ id: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(child)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        components.push(component);
      }
    }
  }
  return components;
}

/** The problem publish reports when a graph's worst case is over the limit; none when it is within. */
export function checkGraphWork(definition: Definition, limit: number = DEFAULT_MAX_GRAPH_WORK): Array<{ path: string; message: string }> {
  const work = graphWork(definition);
  if (work.total <= limit || !work.heaviest) return [];
  const chain = [...work.nesting.map((l) => `nodes.${l.nodeId} (maxIterations ${l.maxIterations})`), `nodes.${work.heaviest.nodeId}`];
  const shown = chain.length > 12 ? [...chain.slice(0, 8), `… ${chain.length - 11} more loops …`, ...chain.slice(-3)] : chain;
  const cycle = work.onCycle ? `, on a cycle of up to ${definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS} visits (maxNodeVisits)` : '';
  return [{
    path: `nodes[${work.heaviest.index}]`,
    message:
      `a run could make ${amount(work.total)} node runs, more than MAX_GRAPH_WORK (${amount(limit)}); ` +
      `the heaviest node runs ${amount(work.heaviest.work)} times: ${shown.join(' > ')}${cycle}. ` +
      `Lower maxIterations (a loop without it allows ${amount(DEFAULT_MAX_ITERATIONS)}) or maxNodeVisits, or move the inner work into a subworkflow.`,
  }];
}

function amount(n: number): string {
  if (!Number.isFinite(n)) return 'unboundedly many';
  return n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(1).replace('e+', ' × 10^');
}
