/** Auto-layout: the run page's layered layout (one column per distance from the start), applied to the canvas. */
import { layered } from '../components/RunGraph';
import type { DesignerEdge, DesignerNode } from './graph-doc';

export function laidOut(nodes: DesignerNode[], edges: DesignerEdge[]): DesignerNode[] {
  const positions = layered({
    nodes: nodes.map((n) => ({ id: n.id })),
    edges: edges.map((e) => ({ source: e.source, target: e.target })),
  });
  return nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position }));
}
