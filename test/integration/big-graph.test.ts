/**
 * A big graph (issue 16, target 4): a definition of up to 5,000 nodes and 10,000 edges validates and publishes, its
 * version's node and edge rows read as they always did, and a larger one is refused before anything is written.
 * Times are the big-graph bench's (bench/big-graph.ts); this proves the sizes work.
 */
import { asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowEdges, workflowNodes, workflows, workflowVersions } from '../../db/schema';
import { MAX_EDGES, MAX_NODES } from '../../interpreter/schema';
import { createHarness, type Harness } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({}, { inProcessWorker: false });
});
afterAll(async () => {
  await h?.close();
});

/**
 * A hub condition routing to thousands of leaves, each on to one end: 5,000 nodes and 9,995 edges, more rows than
 * one statement can bind (PostgreSQL takes at most 65,535 parameters, and an edge row has nine columns).
 */
function hubGraph(leaves: number) {
  const nodes: Array<Record<string, unknown>> = [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } }, position: { x: 0, y: 0 } },
    { id: 'hub', type: 'condition', data: { label: 'Route by kind' } },
  ];
  const edges: Array<Record<string, unknown>> = [{ id: 'in', source: 't', target: 'hub' }];
  for (let i = 0; i < leaves; i++) {
    nodes.push({ id: `leaf${i}`, type: 'action', data: { action: 'log', message: `leaf ${i}` } });
    edges.push({
      id: `to${i}`,
      source: 'hub',
      target: `leaf${i}`,
      ...(i === 0 ? { isDefault: true } : { condition: { field: 'input.kind', operator: 'equals', value: i } }),
    });
    edges.push({ id: `out${i}`, source: `leaf${i}`, target: 'end', sourceHandle: null });
  }
  nodes.push({ id: 'end', type: 'end', data: { label: 'Done', status: 'completed' } });
  return { nodes, edges, configuration: { maxNodeVisits: 10 } };
}

async function create(definition: unknown) {
  return h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'Big', definition } });
}

describe('a graph of 5,000 nodes', () => {
  it('validates and publishes a graph of 5,000 nodes and 9,995 edges, with every node and edge row as before', async () => {
    const definition = hubGraph(MAX_NODES - 3);
    expect(definition.nodes).toHaveLength(MAX_NODES);
    expect(definition.edges.length).toBeGreaterThan(65_535 / 9);
    expect(definition.edges.length).toBeLessThanOrEqual(MAX_EDGES);
    const created = await create(definition);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const validated = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/validate` });
    expect(validated.json(), validated.body).toMatchObject({ valid: true, errors: [] });
    const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode, published.body).toBe(201);

    const { db } = h.database;
    const version = (await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, id)))[0]!;
    const nodes = await db
      .select()
      .from(workflowNodes)
      .where(eq(workflowNodes.workflowVersionId, version.id))
      .orderBy(asc(workflowNodes.nodeId));
    expect(nodes).toHaveLength(MAX_NODES);
    const node = (nodeId: string) => nodes.find((n) => n.nodeId === nodeId);
    expect(node('t')).toMatchObject({ nodeType: 'trigger', label: null, position: { x: 0, y: 0 } });
    expect(node('hub')).toMatchObject({
      nodeType: 'condition',
      label: 'Route by kind',
      config: { label: 'Route by kind' },
    });
    expect(node('leaf7')).toMatchObject({
      tenantId: h.tenant.tenantId,
      nodeType: 'action',
      label: null,
      config: { action: 'log', message: 'leaf 7' },
      position: null,
    });
    const edges = await db
      .select()
      .from(workflowEdges)
      .where(eq(workflowEdges.workflowVersionId, version.id))
      .orderBy(asc(workflowEdges.position));
    expect(edges).toHaveLength(definition.edges.length);
    expect(edges.map((e) => e.edgeId)).toEqual(definition.edges.map((e) => e.id));
    expect(edges[1]).toMatchObject({ sourceNodeId: 'hub', targetNodeId: 'leaf0', isDefault: true, condition: null });
    expect(edges[3]).toMatchObject({
      edgeId: 'to1',
      sourceHandle: null,
      isDefault: false,
      condition: { field: 'input.kind', operator: 'equals', value: 1 },
    });
    expect(edges[4]).toMatchObject({ edgeId: 'out1', targetNodeId: 'end', sourceHandle: null, condition: null });
  });

  it('refuses a graph of more than 5,000 nodes, naming the limit, and writes nothing', async () => {
    const { db } = h.database;
    const before = (await db.select({ n: count() }).from(workflows))[0]!.n;
    const res = await create(hubGraph(MAX_NODES - 2));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(res.json().errors)).toContain('nodes');
    expect((await db.select({ n: count() }).from(workflows))[0]!.n).toBe(before);
  });
});
