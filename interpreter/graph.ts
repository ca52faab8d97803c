/**
 * The typed graph a run walks: every node and edge parsed once (node-reader.ts, node-model.ts read without zod, which
 * the workflow bundle must not carry), indexed by id and by the edges in and out of each node. Validation builds it
 * at publish; the engine builds it again from the stored definition when a run starts (pure and deterministic, so a
 * replay builds the same graph).
 */
import { formatPath, type Problem } from './problems';
import { retryOverridesOf, type RetryOverrides, DEFAULT_MAX_NODE_VISITS } from './limits';
import type { TypedEdge, TypedNode } from './node-model';
import { readEdge, readNode } from './node-reader';
import type { Definition } from './schema';

export interface TypedGraph {
  /** By id; where ids repeat (validation refuses that), the last node wins. */
  nodes: ReadonlyMap<string, TypedNode>;
  /** In the definition's order: the first is where a run starts unless its trigger names another. */
  triggers: readonly TypedNode[];
  /** Each node's edges out and in, in the definition's order. */
  outgoing: ReadonlyMap<string, readonly TypedEdge[]>;
  incoming: ReadonlyMap<string, readonly TypedEdge[]>;
  /** The workflow's `configuration.retry`, which a node's own `retry` overrides. */
  retry: RetryOverrides;
  maxNodeVisits: number;
}

export type GraphParse = { ok: true; graph: TypedGraph } | { ok: false; problems: Problem[] };

/** Parses every node and edge of a structurally valid definition; lists every one that does not parse. */
export function parseGraph(definition: Definition): GraphParse {
  const problems: Problem[] = [];
  const nodes: TypedNode[] = [];
  definition.nodes.forEach((node, i) => {
    const parsed = readNode(node);
    if (parsed.ok) nodes.push(parsed.value);
    else
      for (const issue of parsed.issues)
        problems.push({ path: formatPath(['nodes', i, ...issue.path]), message: issue.message });
  });
  return problems.length > 0 ? { ok: false, problems } : graphOf(definition, nodes);
}

/** The graph of a definition whose nodes are typed already (validation has them): parses its edges and indexes. */
export function graphOf(definition: Definition, nodes: TypedNode[]): GraphParse {
  const problems: Problem[] = [];
  const edges: TypedEdge[] = [];
  definition.edges.forEach((edge, i) => {
    const parsed = readEdge(edge);
    if (parsed.ok) edges.push(parsed.value);
    else
      for (const issue of parsed.issues)
        problems.push({ path: formatPath(['edges', i, ...issue.path]), message: issue.message });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, graph: indexGraph(definition, nodes, edges) };
}

function indexGraph(definition: Definition, nodes: TypedNode[], edges: TypedEdge[]): TypedGraph {
  const byId = new Map<string, TypedNode>();
  for (const node of nodes) byId.set(node.id, node);
  // Indexed once: walking every edge for every node made a graph of nested loops take seconds to start.
  const outgoing = new Map<string, TypedEdge[]>();
  const incoming = new Map<string, TypedEdge[]>();
  for (const edge of edges) {
    pushTo(outgoing, edge.source, edge);
    pushTo(incoming, edge.target, edge);
  }
  return {
    nodes: byId,
    triggers: nodes.filter((n) => n.type === 'trigger'),
    outgoing,
    incoming,
    retry: retryOverridesOf(definition.configuration?.retry),
    maxNodeVisits: definition.configuration?.maxNodeVisits ?? DEFAULT_MAX_NODE_VISITS,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
