/**
 * What changed between two definitions, node by node and edge by edge: added, removed, or changed (a node's type or
 * data; an edge's ends, handle, condition or default flag). A move is not a change. The merged graph holds the newer
 * definition's nodes and edges plus the removed ones, so the canvas can show both.
 */
import type { StoredDefinition, StoredEdge, StoredNode } from './graph-doc';

export type Change = 'added' | 'removed' | 'changed';

export interface GraphDiff {
  nodes: Map<string, Change>;
  edges: Map<string, Change>;
  merged: StoredDefinition;
}

/** JSON with keys sorted, so two objects that differ only in key order compare equal. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

export const edgeKey = (edge: StoredEdge, index: number) => edge.id ?? `e${index}`;
const nodeContent = (node: StoredNode) => stable({ type: node.type, data: node.data ?? {} });
const edgeContent = (edge: StoredEdge) =>
  stable({
    source: edge.source,
    target: edge.target,
    sourceHandle: edge.sourceHandle ?? null,
    condition: edge.condition ?? null,
    isDefault: edge.isDefault === true,
  });

function compare<T>(older: T[], newer: T[], key: (item: T, i: number) => string, content: (item: T) => string) {
  const before = new Map(older.map((item, i) => [key(item, i), item]));
  const after = new Map(newer.map((item, i) => [key(item, i), item]));
  const changes = new Map<string, Change>();
  for (const [id, item] of after) {
    const was = before.get(id);
    if (!was) changes.set(id, 'added');
    else if (content(was) !== content(item)) changes.set(id, 'changed');
  }
  const removed = [...before].filter(([id]) => !after.has(id));
  for (const [id] of removed) changes.set(id, 'removed');
  return { changes, removed };
}

export function diffDefinitions(older: StoredDefinition, newer: StoredDefinition): GraphDiff {
  const nodes = compare(older.nodes, newer.nodes, (n) => n.id, nodeContent);
  const edges = compare(older.edges, newer.edges, edgeKey, edgeContent);
  return {
    nodes: nodes.changes,
    edges: edges.changes,
    merged: {
      ...newer,
      nodes: [...newer.nodes, ...nodes.removed.map(([, node]) => node)],
      // A removed edge keeps its id, so its mark finds it on the canvas.
      edges: [
        ...newer.edges.map((e, i) => ({ ...e, id: edgeKey(e, i) })),
        ...edges.removed.map(([id, edge]) => ({ ...edge, id })),
      ],
    },
  };
}
