/** Validation problems pinned on the canvas: each node and edge carries the problems whose path names it. */
import { problemTarget, type DesignerEdge, type DesignerNode, type Problem, type StoredDefinition } from './graph-doc';

export function pinProblems(
  problems: Problem[],
  validated: StoredDefinition,
  nodes: DesignerNode[],
  edges: DesignerEdge[],
): { nodes: DesignerNode[]; edges: DesignerEdge[] } {
  const onNode = new Map<string, Problem[]>();
  const onEdge = new Map<string, Problem[]>();
  for (const problem of problems) {
    const { node, edge } = problemTarget(problem.path, validated);
    if (node) onNode.set(node, [...(onNode.get(node) ?? []), problem]);
    if (edge) onEdge.set(edge, [...(onEdge.get(edge) ?? []), problem]);
  }
  return {
    // Only nodes whose problems changed get a new object: the others do not re-render.
    nodes: nodes.map((n) => {
      const mine = onNode.get(n.id) ?? [];
      return mine.length === 0 && n.data.problems.length === 0 ? n : { ...n, data: { ...n.data, problems: mine } };
    }),
    edges: edges.map((e) => {
      const mine = onEdge.get(e.id) ?? [];
      if (mine.length === 0 && !e.data?.problems.length) return e;
      return {
        ...e,
        className: mine.length ? 'has-problem' : '',
        data: { stored: e.data?.stored ?? { source: e.source, target: e.target }, problems: mine },
      };
    }),
  };
}

/** Where a problem is, for the list: the node or edge id when its path names one. */
export function problemPlace(problem: Problem, validated: StoredDefinition | null): string {
  if (!validated) return problem.path;
  const { node, edge } = problemTarget(problem.path, validated);
  return node ? `node ${node}` : edge ? `edge ${edge}` : problem.path;
}
