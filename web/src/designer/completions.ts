/**
 * The template paths a node may read (docs/definition-format.md, "The run context"): the run's input (from the
 * workflow's input schema when it has one), the output of every node upstream of it (found by walking its incoming
 * edges backwards), the variables those nodes set, and the run's own fields.
 */
import type { StoredDefinition, StoredNode } from './graph-doc';
import { outputKeys, type NodeData } from './node-types';

const RUN_FIELDS = ['id', 'workflowId', 'version', 'startedAt', 'triggeredBy', 'priority'];
const SCHEMA_DEPTH = 4;

type JsonSchema = { properties?: Record<string, JsonSchema> };

function schemaPaths(schema: JsonSchema | undefined, prefix: string, depth: number): string[] {
  const properties = schema?.properties;
  if (!properties || typeof properties !== 'object' || depth === 0) return [];
  return Object.entries(properties).flatMap(([key, inner]) => [
    `${prefix}.${key}`,
    ...schemaPaths(inner, `${prefix}.${key}`, depth - 1),
  ]);
}

/** Ids of the nodes with a path of edges to `nodeId`, nearest first. */
export function upstreamOf(nodeId: string, edges: StoredDefinition['edges']): string[] {
  const into = new Map<string, string[]>();
  for (const edge of edges) into.set(edge.target, [...(into.get(edge.target) ?? []), edge.source]);
  const seen = new Set([nodeId]);
  const order: string[] = [];
  const queue = [nodeId];
  while (queue.length) {
    for (const source of into.get(queue.shift()!) ?? []) {
      if (seen.has(source)) continue;
      seen.add(source);
      order.push(source);
      queue.push(source);
    }
  }
  return order;
}

export function templatePaths(definition: StoredDefinition, nodeId: string): string[] {
  const byId = new Map<string, StoredNode>(definition.nodes.map((n) => [n.id, n]));
  const inputs = schemaPaths(definition.inputSchema as JsonSchema | undefined, 'input', SCHEMA_DEPTH);
  const paths = inputs.length ? inputs : ['input'];
  const vars = new Set<string>();
  for (const id of upstreamOf(nodeId, definition.edges)) {
    const node = byId.get(id);
    if (!node) continue;
    const data: NodeData = node.data ?? {};
    paths.push(`nodes.${id}.output`, ...outputKeys(node.type, data).map((key) => `nodes.${id}.output.${key}`));
    paths.push(`nodes.${id}.outcome`);
    if (node.type === 'action' && data.action === 'set' && data.vars && typeof data.vars === 'object')
      for (const name of Object.keys(data.vars)) vars.add(`vars.${name}`);
  }
  paths.push(...(vars.size ? vars : ['vars']), ...RUN_FIELDS.map((field) => `run.${field}`));
  return paths;
}
