/**
 * A node on the designer's canvas: its label and type, one handle to enter by (not where its type takes no edges)
 * and one per way it leaves (its outcomes, each named on the handle, so an edge drawn from it carries that
 * `sourceHandle`). Validation problems pinned on it show as a red border and a count; a diff or a preview marks it.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { handlesOf, useCatalogue } from './catalogue';
import type { DesignerNode } from './graph-doc';

function DesignerNodeViewInner({ id, data, selected }: NodeProps<DesignerNode>) {
  const { stored, problems, mark } = data;
  const info = useCatalogue().get(stored.type);
  const nodeData = stored.data ?? {};
  const label = typeof nodeData.label === 'string' && nodeData.label ? nodeData.label : id;
  const handles = handlesOf(info, nodeData);
  const step = 100 / (handles.length + 1);
  const classes = ['designer-node', `type-${stored.type}`];
  if (problems.length) classes.push('has-problem');
  if (selected) classes.push('is-selected');
  if (mark) classes.push(mark);
  return (
    <div
      className={classes.join(' ')}
      title={problems.map((p) => p.message).join('\n') || undefined}
      // Room for every outcome handle and its name.
      style={{ minHeight: Math.max(44, handles.length * 18 + 8) }}
    >
      {info?.acceptsEdges !== false && <Handle type="target" position={Position.Left} />}
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
