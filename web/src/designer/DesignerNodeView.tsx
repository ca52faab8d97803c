/**
 * A node on the designer's canvas: its label and type, one handle to enter by (not on triggers) and one per way
 * it leaves (its outcomes, each named on the handle, so an edge drawn from it carries that `sourceHandle`).
 * Validation problems pinned on it show as a red border and a count.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { DesignerNode } from './graph-doc';
import { handlesOf, takesEdges } from './node-types';

function DesignerNodeViewInner({ id, data, selected }: NodeProps<DesignerNode>) {
  const { stored, problems } = data;
  const nodeData = stored.data ?? {};
  const label = typeof nodeData.label === 'string' && nodeData.label ? nodeData.label : id;
  const handles = handlesOf(stored.type, nodeData);
  const step = 100 / (handles.length + 1);
  return (
    <div
      className={`designer-node type-${stored.type}${problems.length ? ' has-problem' : ''}${selected ? ' is-selected' : ''}`}
      title={problems.map((p) => p.message).join('\n') || undefined}
      // Room for every outcome handle and its name.
      style={{ minHeight: Math.max(44, handles.length * 18 + 8) }}
    >
      {takesEdges(stored.type) && <Handle type="target" position={Position.Left} />}
      <div className="designer-node-label">{label}</div>
      <div className="designer-node-type">
        {stored.type}
        {problems.length > 0 && (
          <span className="designer-node-problems" aria-label={`${problems.length} problem(s)`}>
            {' '}
            ⚠ {problems.length}
          </span>
        )}
      </div>
      {handles.map((handle, i) => (
        <Handle
          key={handle ?? '(default)'}
          type="source"
          position={Position.Right}
          id={handle ?? undefined}
          style={{ top: `${step * (i + 1)}%` }}
          title={handle ?? 'next'}
          data-handle={handle ?? 'default'}
        >
          {handle && <span className="designer-handle-label">{handle}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const DesignerNodeView = memo(DesignerNodeViewInner);
export const NODE_VIEWS = { designer: DesignerNodeView };
