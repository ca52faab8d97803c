/** Classes a view over the graph puts on the canvas (a preview's path), beside the problems validation pins there. */
import type { DesignerEdge, DesignerNode } from './graph-doc';

export interface Marks {
  nodes: ReadonlyMap<string, string>;
  edges: ReadonlyMap<string, string>;
}

export const NO_MARKS: Marks = { nodes: new Map(), edges: new Map() };

export function withMarks(nodes: DesignerNode[], edges: DesignerEdge[], marks: Marks) {
  return {
    // Only what changes gets a new object: the rest does not re-render.
    nodes: nodes.map((n) => {
      const mark = marks.nodes.get(n.id);
      return n.data.mark === mark ? n : { ...n, data: { ...n.data, mark } };
    }),
    edges: edges.map((e) => {
      const className = [e.data?.problems.length ? 'has-problem' : '', marks.edges.get(e.id) ?? '']
        .filter(Boolean)
        .join(' ');
      return (e.className ?? '') === className ? e : { ...e, className };
    }),
  };
}
