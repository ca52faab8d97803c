/**
 * The selected node's properties: the fields of its type's schema (SchemaForm.tsx) with their help, and all of its
 * `data` as JSON for the rest. Each change replaces the node's data at once; JSON that does not parse is shown as a
 * problem and not applied.
 */
import { useEffect, useState } from 'react';
import { useCatalogue } from './catalogue';
import type { Problem, StoredNode } from './graph-doc';
import type { NodeData } from './node-types';
import { Fields, type JsonSchema } from './SchemaForm';

const asJson = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

export function PropertyPanel({
  node,
  problems,
  paths,
  onChange,
  onDelete,
}: {
  node: StoredNode;
  problems: Problem[];
  /** The template paths this node may read, asked for when a field offers them. */
  paths: () => string[];
  onChange: (data: NodeData) => void;
  onDelete: () => void;
}) {
  const info = useCatalogue().get(node.type);
  const data = node.data ?? {};
  const [allText, setAllText] = useState(asJson(data));
  const [allProblem, setAllProblem] = useState<string | null>(null);
  useEffect(() => {
    setAllText(asJson(data));
    setAllProblem(null);
  }, [node]);
  const applyAll = () => {
    try {
      const parsed: unknown = JSON.parse(allText);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('data is an object');
      onChange(parsed as NodeData);
      setAllProblem(null);
    } catch (error) {
      setAllProblem((error as Error).message);
    }
  };
  return (
    <section className="designer-panel" aria-label="Node properties">
      <h2>
        {node.id} <span className="muted">{info?.title ?? node.type}</span>
      </h2>
      {info && <p className="muted designer-type-help">{info.help}</p>}
      {problems.length > 0 && (
        <ul className="designer-node-problem-list error" aria-label="Problems of this node">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      {info ? (
        <Fields schema={info.schema as JsonSchema} prefix="" data={data} paths={paths} onChange={onChange} />
      ) : (
        <p className="error">Unknown node type "{node.type}": edit its data as JSON.</p>
      )}
      <details>
        <summary>All data (JSON)</summary>
        <textarea
          aria-label="Node data (JSON)"
          rows={10}
          value={allText}
          onChange={(e) => setAllText(e.target.value)}
        />
        {allProblem && <small className="error">Not applied: {allProblem}</small>}
        <button type="button" onClick={applyAll}>
          Apply JSON
        </button>
      </details>
      <p>
        <button type="button" className="danger" onClick={onDelete}>
          Delete node
        </button>
      </p>
    </section>
  );
}
