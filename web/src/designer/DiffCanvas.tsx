/**
 * Two versions on one read-only canvas: the newer graph with the removed nodes and edges kept, each added, removed
 * or changed node and edge marked in its colour, and the same differences listed in words.
 */
import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useMemo } from 'react';
import { NODE_VIEWS } from './DesignerNodeView';
import type { GraphDiff } from './diff';
import { toCanvasEdge, toCanvasNode, type DesignerEdge, type DesignerNode } from './graph-doc';

const PRO_OPTIONS = { hideAttribution: true };

export function DiffCanvas({ diff, title }: { diff: GraphDiff; title: string }) {
  const nodes = useMemo<DesignerNode[]>(
    () =>
      diff.merged.nodes.map((stored, i) => {
        const node = toCanvasNode(stored, i);
        const change = diff.nodes.get(stored.id);
        return change ? { ...node, data: { ...node.data, mark: `diff-${change}` } } : node;
      }),
    [diff],
  );
  const edges = useMemo<DesignerEdge[]>(
    () =>
      diff.merged.edges.map((stored, i) => {
        const edge = toCanvasEdge(stored, i);
        const change = diff.edges.get(edge.id);
        return change ? { ...edge, className: `diff-${change}` } : edge;
      }),
    [diff],
  );
  const listed = (kind: 'nodes' | 'edges') =>
    [...diff[kind]].map(([id, change]) => (
      <li key={`${kind}/${id}`} className={`diff-${change}`}>
        {kind === 'nodes' ? 'node' : 'edge'} {id}: {change}
      </li>
    ));
  return (
    <section className="designer-diff" aria-label="Version differences">
      <h3>{title}</h3>
      <p className="diff-legend muted">
        <span className="diff-added">added</span> · <span className="diff-removed">removed</span> ·{' '}
        <span className="diff-changed">changed</span>
      </p>
      <div className="designer-diff-canvas">
        <ReactFlowProvider>
          <ReactFlow<DesignerNode, DesignerEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_VIEWS}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={PRO_OPTIONS}
            minZoom={0.1}
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
      {diff.nodes.size + diff.edges.size === 0 ? (
        <p>No differences.</p>
      ) : (
        <ul aria-label="Differences">
          {listed('nodes')}
          {listed('edges')}
        </ul>
      )}
    </section>
  );
}
