/**
 * Routing (definition-format.md, "Routing"): which edges a node's handle takes.
 * The same functions serve validation at publish and routing in the workflow.
 */
import { evaluateCondition } from './conditions';
import type { TypedEdge } from './node-model';

interface HandledEdge {
  sourceHandle?: string | null | undefined;
  condition?: unknown;
  isDefault?: boolean | undefined;
}

/** Of a node's edges, those that count for `handle`. Edges without a handle count for every handle except `error`. */
export function onHandle<E extends HandledEdge>(edges: readonly E[], handle: string | null): E[] {
  return edges.filter((e) => e.sourceHandle === handle || ((e.sourceHandle ?? null) === null && handle !== 'error'));
}

export const isConditional = (e: HandledEdge) =>
  (e.condition !== undefined && e.condition !== null) || e.isDefault === true;

export type RouteResult =
  { kind: 'targets'; edges: TypedEdge[] } | { kind: 'dead-end' } | { kind: 'no-route'; message: string };

/** Picks the edges a node takes when it leaves by `handle`, from the node's outgoing edges. */
export function route(
  outgoing: readonly TypedEdge[],
  nodeId: string,
  handle: string | null,
  context: unknown,
): RouteResult {
  const edges = onHandle(outgoing, handle);
  if (edges.length === 0) return { kind: 'dead-end' };
  const conditional = edges.filter(isConditional);
  if (conditional.length === 0) return { kind: 'targets', edges };
  if (conditional.length !== edges.length) {
    return {
      kind: 'no-route',
      message: `node "${nodeId}" mixes conditional and unconditional edges on handle ${handle ?? '(default)'}`,
    };
  }
  for (const edge of edges) {
    if (edge.condition !== undefined && edge.condition !== null && evaluateCondition(edge.condition, context)) {
      return { kind: 'targets', edges: [edge] };
    }
  }
  const fallback = edges.find((e) => e.isDefault === true);
  if (fallback) return { kind: 'targets', edges: [fallback] };
  return {
    kind: 'no-route',
    message: `no route from node "${nodeId}": no edge condition held and there is no default edge`,
  };
}
