/**
 * The stored definition ↔ the canvas. The canvas holds each stored node and edge whole (`stored`), so saving
 * writes back every key the designer does not know (an editor's own fields, `viewport`, `condition`, …) and
 * changes only what was edited: position, data, endpoints.
 */
import type { Edge, Node } from '@xyflow/react';
import type { NodeData } from './node-types';

export interface StoredNode {
  id: string;
  type: string;
  position?: { x?: number; y?: number };
  data?: NodeData;
  [key: string]: unknown;
}
export interface StoredEdge {
  id?: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  [key: string]: unknown;
}
export interface StoredDefinition {
  nodes: StoredNode[];
  edges: StoredEdge[];
  [key: string]: unknown;
}

export interface Problem {
  path: string;
  message: string;
}

/** `mark` is a class the canvas adds for a view over the graph (a diff's `diff-added`, a preview's `path-taken`). */
export type DesignerNodeData = { stored: StoredNode; problems: Problem[]; mark?: string };
export type DesignerNode = Node<DesignerNodeData, 'designer'>;
export type DesignerEdgeData = { stored: StoredEdge; problems: Problem[] };
export type DesignerEdge = Edge<DesignerEdgeData>;

const coordinate = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

export function toCanvasNode(stored: StoredNode, index = 0): DesignerNode {
  return {
    id: stored.id,
    type: 'designer',
    // A node saved without a position is laid out in a plain grid; moving it stores one.
    position: {
      x: coordinate(stored.position?.x, (index % 4) * 220),
      y: coordinate(stored.position?.y, Math.floor(index / 4) * 120),
    },
    data: { stored, problems: [] },
  };
}

export function toCanvasEdge(stored: StoredEdge, index: number): DesignerEdge {
  return {
    id: stored.id ?? `e${index}`,
    source: stored.source,
    target: stored.target,
    sourceHandle: stored.sourceHandle ?? null,
    ...(stored.sourceHandle ? { label: stored.sourceHandle } : {}),
    data: { stored, problems: [] },
  };
}

export function fromCanvas(base: StoredDefinition, nodes: DesignerNode[], edges: DesignerEdge[]): StoredDefinition {
  return {
    ...base,
    nodes: nodes.map((node) => ({
      ...node.data.stored,
      id: node.id,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    })),
    edges: edges.map((edge) => {
      const { sourceHandle: _old, ...stored } = edge.data?.stored ?? { source: edge.source, target: edge.target };
      return {
        ...stored,
        id: edge.id,
        source: edge.source,
        target: edge.target,
        ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}),
      };
    }),
  };
}

/** An id not yet used: `<base>_<n>`. */
export function freshId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

const INDEXED = /^(nodes|edges)\[(\d+)\]/;

/**
 * Which node or edge a validation problem concerns, by its path (`nodes[2].data.url`, `edges[0].target`) read
 * against the definition that was validated; problems of the whole definition concern neither.
 */
export function problemTarget(path: string, validated: StoredDefinition): { node?: string; edge?: string } {
  const match = INDEXED.exec(path);
  if (!match) return {};
  const index = Number(match[2]);
  if (match[1] === 'nodes') {
    const node = validated.nodes[index];
    return node ? { node: node.id } : {};
  }
  const edge = validated.edges[index];
  return edge ? { edge: edge.id ?? `e${index}` } : {};
}

/** The value at a dotted path of `data` (`trigger.type`). */
export function getPath(data: NodeData, path: string): unknown {
  let value: unknown = data;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A copy of `data` with the dotted path set (undefined removes the key). */
export function setPath(data: NodeData, path: string, value: unknown): NodeData {
  const [key, ...rest] = path.split('.') as [string, ...string[]];
  const copy: NodeData = { ...data };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }
  const inner = copy[key];
  copy[key] = setPath(inner && typeof inner === 'object' ? (inner as NodeData) : {}, rest.join('.'), value);
  return copy;
}
