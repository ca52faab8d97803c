/**
 * Routing (definition-format.md, "Routing"): which edges a node's handle takes.
 * The same functions serve validation at publish and routing in the workflow.
 */
import { type Condition, evaluateCondition } from './conditions';
import type { Definition, GraphEdge } from './schema';

/** The edges leaving `nodeId` that count for `handle`. Edges without a handle count for every handle except `error`. */
export function edgesFor(definition: Definition, nodeId: string, handle: string | null): GraphEdge[] {
  return definition.edges.filter(
    (e) => e.source === nodeId && (e.sourceHandle === handle || ((e.sourceHandle ?? null) === null && handle !== 'error')),
  );
}

export const isConditional = (e: GraphEdge) => (e.condition !== undefined && e.condition !== null) || e.isDefault === true;

export type RouteResult =
  | { kind: 'targets'; edges: GraphEdge[] }
  | { kind: 'dead-end' }
  | { kind: 'no-route'; message: string };

/** Picks the edges a node takes when it leaves by `handle`. */
export function route(definition: Definition, nodeId: string, handle: string | null, context: unknown): RouteResult {
  const edges = edgesFor(definition, nodeId, handle);
  if (edges.length === 0) return { kind: 'dead-end' };
  const conditional = edges.filter(isConditional);
  if (conditional.length === 0) return { kind: 'targets', edges };
  if (conditional.length !== edges.length) {
    return { kind: 'no-route', message: `node "${nodeId}" mixes conditional and unconditional edges on handle ${handle ?? '(default)'}` };
  }
  for (const edge of edges) {
    if (edge.condition !== undefined && edge.condition !== null && evaluateCondition(edge.condition as Condition, context)) {
      return { kind: 'targets', edges: [edge] };
    }
  }
  const fallback = edges.find((e) => e.isDefault === true);
  if (fallback) return { kind: 'targets', edges: [fallback] };
  return { kind: 'no-route', message: `no route from node "${nodeId}": no edge condition held and there is no default edge` };
}
