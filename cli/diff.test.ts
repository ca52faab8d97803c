import { describe, expect, it } from 'vitest';
import { diffDefinitions, isEmptyDiff, renderDiff, sameJson } from './diff';

const graph = {
  name: 'Purchase',
  category: 'finance',
  tags: [],
  nodes: [
    { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
    { id: 'ask', type: 'approval', data: { approverRoles: ['manager'] } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'ask' }],
};

describe('diffDefinitions', () => {
  it('finds nothing between a definition and itself with its keys in another order', () => {
    const reordered = {
      edges: graph.edges,
      tags: [],
      category: 'finance',
      nodes: graph.nodes.map((n) => ({ data: n.data, type: n.type, id: n.id })),
      name: 'Purchase',
    };
    expect(isEmptyDiff(diffDefinitions(graph, reordered))).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('names added, removed and changed nodes and edges, with the fields that changed', () => {
    const after = {
      ...graph,
      inputSchema: { type: 'object' },
      nodes: [
        graph.nodes[0],
        { id: 'ask', type: 'approval', data: { approverRoles: ['cfo'] } },
        { id: 'done', type: 'end', data: {} },
      ],
      edges: [{ id: 'e2', source: 'ask', target: 'done', sourceHandle: 'approved' }],
    };
    const diff = diffDefinitions(graph, after);
    expect(renderDiff(diff)).toEqual([
      '  nodes:',
      '    ~ ask (approval): data.approverRoles',
      '    + done (end)',
      '  edges:',
      '    + e2: ask -> done [approved]',
      '    - e1: start -> ask',
      '  settings:',
      '    ~ inputSchema',
    ]);
  });

  it('shows everything as new when nothing was published', () => {
    const diff = diffDefinitions(undefined, graph);
    expect(diff.nodes.map((c) => `${c.kind}${c.id}`)).toEqual(['+start', '+ask']);
    expect(diff.settings).toEqual(['category', 'name', 'tags']);
  });
});
