/**
 * The run's graph as it was designed: the stored positions (a layered layout when they are missing), each node
 * coloured by its state in this run. Clicking a node (or Enter on it) selects it.
 */
import { Background, Controls, Position, ReactFlow, type Edge, type Node } from '@xyflow/react';
import { useCallback, useMemo, useRef } from 'react';

export interface GraphDefinition {
  nodes: Array<{ id: string; type?: string; position?: { x: number; y: number }; data?: { label?: string } }>;
  edges: Array<{ id?: string; source: string; target: string; sourceHandle?: string | null }>;
}

export type NodeState = 'not-reached' | 'running' | 'completed' | 'failed' | 'waiting' | 'skipped';

export const STATE_LABELS: Record<NodeState, string> = {
  'not-reached': 'not reached',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  waiting: 'waiting for approval',
  skipped: 'skipped',
};

/** Positions for nodes that have none: one column per distance from the start. */
export function layered(definition: GraphDefinition): Map<string, { x: number; y: number }> {
  const incoming = new Map<string, number>();
  for (const node of definition.nodes) incoming.set(node.id, 0);
  for (const edge of definition.edges) incoming.set(edge.target, (incoming.get(edge.target) ?? 0) + 1);
  const depth = new Map<string, number>();
  const queue = definition.nodes.filter((n) => !incoming.get(n.id)).map((n) => n.id);
  queue.forEach((id) => depth.set(id, 0));
  while (queue.length) {
    const id = queue.shift()!;
    for (const edge of definition.edges) {
      if (edge.source === id && !depth.has(edge.target)) {
        depth.set(edge.target, depth.get(id)! + 1);
        queue.push(edge.target);
      }
    }
  }
  const rows = new Map<number, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of definition.nodes) {
    const column = depth.get(node.id) ?? 0;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    positions.set(node.id, { x: column * 220, y: row * 110 });
  }
  return positions;
}

const PRO_OPTIONS = { hideAttribution: true };
/**
 * Past this many nodes the whole graph is too small to read when fitted: the view opens where the run is, and only what
 * is on screen is drawn.
 */
const LARGE_GRAPH = 150;
const FOCUS_NODES = 12;

/** A stored position both of whose coordinates are numbers (the format allows a partial one). */
const hasPosition = (node: GraphDefinition['nodes'][number]) =>
  typeof node.position?.x === 'number' && typeof node.position?.y === 'number';

/** Whether the graph reads top to bottom (edges mostly go down) rather than left to right. */
function readsDownward(definition: GraphDefinition, at: (id: string) => { x: number; y: number }): boolean {
  let across = 0;
  let down = 0;
  for (const edge of definition.edges) {
    const from = at(edge.source);
    const to = at(edge.target);
    across += Math.abs(to.x - from.x);
    down += Math.abs(to.y - from.y);
  }
  return down > across;
}

export function RunGraph({
  definition,
  states,
  selected,
  onSelect,
}: {
  definition: GraphDefinition;
  states: Map<string, NodeState>;
  selected: string | null;
  onSelect: (nodeId: string) => void;
}) {
  const fallback = useMemo(() => (definition.nodes.every(hasPosition) ? null : layered(definition)), [definition]);
  const positionOf = useMemo(() => {
    const stored = new Map(definition.nodes.filter(hasPosition).map((n) => [n.id, n.position!]));
    return (id: string) => stored.get(id) ?? fallback?.get(id) ?? { x: 0, y: 0 };
  }, [definition, fallback]);
  const downward = useMemo(() => readsDownward(definition, positionOf), [definition, positionOf]);
  // A node keeps its object while its state and selection stay: a live update or a click re-renders only the
  // nodes that changed, not all of a large graph.
  const cache = useRef(new Map<string, { key: string; node: Node }>());
  const nodes: Node[] = useMemo(() => {
    const next = new Map<string, { key: string; node: Node }>();
    const list = definition.nodes.map((node) => {
      const state = states.get(node.id) ?? 'not-reached';
      const position = positionOf(node.id);
      const key = `${state}|${node.id === selected}|${position.x},${position.y}|${downward}`;
      const cached = cache.current.get(node.id);
      const entry =
        cached?.key === key
          ? cached
          : {
              key,
              node: {
                id: node.id,
                position,
                data: { label: `${node.data?.label ?? node.id}` },
                className: `state-${state}`,
                selected: node.id === selected,
                ariaLabel: `${node.data?.label ?? node.id}: ${STATE_LABELS[state]}`,
                connectable: false,
                draggable: false,
                // The default node's size, known before it is measured: a large graph culls off-screen nodes at once.
                initialWidth: 150,
                initialHeight: 40,
                // Edges leave and enter on the sides the layout reads along.
                sourcePosition: downward ? Position.Bottom : Position.Right,
                targetPosition: downward ? Position.Top : Position.Left,
              },
            };
      next.set(node.id, entry);
      return entry.node;
    });
    cache.current = next;
    return list;
  }, [definition, states, selected, positionOf, downward]);
  const edgeCache = useRef(new Map<string, { animated: boolean; edge: Edge }>());
  const edges: Edge[] = useMemo(() => {
    const next = new Map<string, { animated: boolean; edge: Edge }>();
    const list = definition.edges.map((edge, i) => {
      const id = edge.id ?? `e${i}`;
      const animated =
        states.get(edge.source) === 'completed' &&
        (states.get(edge.target) === 'running' || states.get(edge.target) === 'waiting');
      const cached = edgeCache.current.get(id);
      const entry =
        cached?.animated === animated
          ? cached
          : {
              animated,
              // Handles are the node's outcomes; drawn as the edge's label rather than as connection points.
              edge: {
                id,
                source: edge.source,
                target: edge.target,
                animated,
                ...(edge.sourceHandle ? { label: edge.sourceHandle } : {}),
              },
            };
      next.set(id, entry);
      return entry.edge;
    });
    edgeCache.current = next;
    return list;
  }, [definition, states]);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const onNodeClick = useCallback((_event: unknown, node: Node) => onSelectRef.current(node.id), []);
  // Keyboard: Enter on a focused node selects it.
  const onSelectionChange = useCallback(({ nodes: chosen }: { nodes: Node[] }) => {
    if (chosen[0] && chosen[0].id !== selectedRef.current) onSelectRef.current(chosen[0].id);
  }, []);
  const large = definition.nodes.length > LARGE_GRAPH;
  // The nodes the view opens on: a large graph's active nodes (else its first ones); a small graph whole.
  const fitViewOptions = useMemo(() => {
    if (!large) return { maxZoom: 1.25 };
    const active = definition.nodes.filter((n) => ['running', 'waiting', 'failed'].includes(states.get(n.id) ?? ''));
    const focus = (active.length ? active : definition.nodes).slice(0, FOCUS_NODES).map((n) => ({ id: n.id }));
    return { nodes: focus, maxZoom: 1 };
    // Only where the view opens: later state changes do not move it.
  }, [definition, large]);
  return (
    <div className="graph" aria-label="Run graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={fitViewOptions}
        onlyRenderVisibleElements={large}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onNodeClick={onNodeClick}
        onSelectionChange={onSelectionChange}
        proOptions={PRO_OPTIONS}
        minZoom={0.1}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
