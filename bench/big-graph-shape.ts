/**
 * A big graph of realistic shape for the big-graph bench: a chain of segments, each a `set`, a `condition` whose two
 * branches (`log` nodes) rejoin, and a parallel fork of two `log` nodes met by a `join`; every tenth segment adds a
 * loop over the run's three items (a `log` and a `set` in its body), and, when a URL is given, every twelfth an `http`
 * call. It ends at one `end` node. Nothing but the http nodes does I/O.
 */
import type { Definition } from '../interpreter/schema';

type Node = Definition['nodes'][number];
type Edge = Definition['edges'][number];

/** The items each loop walks: `input.items` of the run. */
export const BIG_GRAPH_INPUT = { name: 'bench', items: [1, 2, 3] };

/** About `size` nodes (never fewer), and how many node runs one run of it makes (loops run their body per item). */
export function bigGraph(size: number, httpUrl?: string): { definition: Definition; steps: number } {
  const nodes: Node[] = [{ id: 't', type: 'trigger', data: { label: 'Start', trigger: { type: 'manual' } } }];
  const edges: Edge[] = [];
  let steps = 1;
  let previous = 't';
  const node = (id: string, type: string, data: Record<string, unknown>) => {
    nodes.push({ id, type, data: { label: id, ...data }, position: { x: nodes.length * 10, y: 0 } });
    steps++;
  };
  const loops = new Set<string>();
  // The way on from a loop is its `done` handle.
  const edge = (source: string, target: string, extra: Partial<Edge> = {}) =>
    edges.push({
      id: `e${edges.length}`,
      source,
      target,
      ...(loops.has(source) ? { sourceHandle: 'done' } : {}),
      ...extra,
    });
  // A segment adds at most 13 nodes; log nodes fill the rest, so the graph has exactly `size`.
  for (let i = 0; nodes.length + 13 < size; i++) {
    node(`s${i}`, 'action', { action: 'set', vars: { step: i, who: '{{ input.name }}' } });
    edge(previous, `s${i}`);
    node(`c${i}`, 'condition', { condition: { field: 'vars.step', operator: 'greater_than', value: i % 2 ? i : -1 } });
    edge(`s${i}`, `c${i}`);
    // Only one branch runs: steps counts both, so take the one that does not back out.
    node(`yes${i}`, 'action', { action: 'log', message: 'step {{ vars.step }} of {{ vars.who }}' });
    node(`no${i}`, 'action', { action: 'log', message: 'skipped {{ nodes.s' + i + '.output.step }}' });
    steps--;
    edge(`c${i}`, `yes${i}`, { sourceHandle: 'true' });
    edge(`c${i}`, `no${i}`, { sourceHandle: 'false' });
    node(`f${i}`, 'action', { action: 'set', vars: { forked: i } });
    edge(`yes${i}`, `f${i}`);
    edge(`no${i}`, `f${i}`);
    node(`p${i}`, 'action', { action: 'log', message: 'left {{ vars.forked }}' });
    node(`q${i}`, 'action', { action: 'log', message: 'right {{ vars.forked }}' });
    node(`j${i}`, 'join', { mode: 'all' });
    edge(`f${i}`, `p${i}`);
    edge(`f${i}`, `q${i}`);
    edge(`p${i}`, `j${i}`);
    edge(`q${i}`, `j${i}`);
    previous = `j${i}`;
    if (i % 10 === 9) {
      node(`l${i}`, 'loop', { forEach: 'input.items', maxIterations: 10 });
      node(`lb${i}`, 'action', { action: 'log', message: 'item {{ item }} at {{ index }}' });
      node(`ls${i}`, 'action', { action: 'set', vars: { lastItem: '{{ item }}' } });
      steps += 2 * (BIG_GRAPH_INPUT.items.length - 1);
      loops.add(`l${i}`);
      edge(previous, `l${i}`);
      edge(`l${i}`, `lb${i}`, { sourceHandle: 'body' });
      edge(`lb${i}`, `ls${i}`);
      edge(`ls${i}`, `l${i}`);
      previous = `l${i}`;
    }
    if (httpUrl && i % 12 === 11) {
      node(`h${i}`, 'action', { action: 'http', method: 'POST', url: httpUrl, body: { step: '{{ vars.step }}' } });
      edge(previous, `h${i}`);
      previous = `h${i}`;
    }
  }
  for (let i = 0; nodes.length < size - 1; i++) {
    node(`fill${i}`, 'action', { action: 'log', message: 'filler {{ vars.step }}' });
    edge(previous, `fill${i}`);
    previous = `fill${i}`;
  }
  node('end', 'end', { status: 'completed', output: { last: '{{ vars.step }}' } });
  edge(previous, 'end');
  return { definition: { nodes, edges, configuration: { maxNodeVisits: 10 } }, steps };
}
