/**
 * The selected node's properties: its label, its type's main fields, and all of its `data` as JSON for the rest.
 * Each change replaces the node's data at once; JSON that does not parse is shown as a problem and not applied.
 */
import { useEffect, useState } from 'react';
import { getPath, setPath, type Problem, type StoredNode } from './graph-doc';
import { FIELDS, isNodeType, type Field, type NodeData } from './node-types';

const asText = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const asJson = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A comma-separated list: the text is kept as typed (a trailing comma included) while it means the same list. */
function ListInput({ id, value, onChange }: { id: string; value: unknown; onChange: (v: unknown) => void }) {
  const shown = Array.isArray(value) ? value.join(', ') : asText(value);
  const [text, setText] = useState(shown);
  useEffect(() => {
    if (JSON.stringify(splitList(text)) !== JSON.stringify(splitList(shown))) setText(shown);
  }, [shown]);
  return (
    <input
      id={id}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(splitList(e.target.value));
      }}
    />
  );
}

function FieldInput({ field, value, onChange }: { field: Field; value: unknown; onChange: (v: unknown) => void }) {
  const id = `field-${field.key}`;
  const [jsonText, setJsonText] = useState(asJson(value));
  const [jsonProblem, setJsonProblem] = useState<string | null>(null);
  useEffect(() => setJsonText(asJson(value)), [value]);
  let input;
  switch (field.kind) {
    case 'select':
      input = (
        <select id={id} value={asText(value)} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">—</option>
          {field.options?.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case 'number':
      input = (
        <input
          id={id}
          type="number"
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
      break;
    case 'list':
      input = <ListInput id={id} value={value} onChange={onChange} />;
      break;
    case 'json':
      input = (
        <textarea
          id={id}
          rows={4}
          value={jsonText}
          onChange={(e) => setJsonText(e.target.value)}
          onBlur={() => {
            if (jsonText.trim() === '') return onChange(undefined);
            try {
              onChange(JSON.parse(jsonText));
              setJsonProblem(null);
            } catch (error) {
              setJsonProblem((error as Error).message);
            }
          }}
        />
      );
      break;
    default:
      input = <input id={id} value={asText(value)} onChange={(e) => onChange(e.target.value || undefined)} />;
  }
  return (
    <div className="designer-field">
      <label htmlFor={id}>{field.label}</label>
      {input}
      {field.help && <small className="muted">{field.help}</small>}
      {jsonProblem && <small className="error">Not JSON: {jsonProblem}</small>}
    </div>
  );
}

export function PropertyPanel({
  node,
  problems,
  onChange,
  onDelete,
}: {
  node: StoredNode;
  problems: Problem[];
  onChange: (data: NodeData) => void;
  onDelete: () => void;
}) {
  const data = node.data ?? {};
  const [allText, setAllText] = useState(asJson(data));
  const [allProblem, setAllProblem] = useState<string | null>(null);
  useEffect(() => {
    setAllText(asJson(data));
    setAllProblem(null);
  }, [node]);
  const fields = isNodeType(node.type) ? FIELDS[node.type] : [];
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
        {node.id} <span className="muted">{node.type}</span>
      </h2>
      {problems.length > 0 && (
        <ul className="designer-node-problem-list error" aria-label="Problems of this node">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      <div className="designer-field">
        <label htmlFor="field-label">Label</label>
        <input
          id="field-label"
          value={asText(data.label)}
          onChange={(e) => onChange(setPath(data, 'label', e.target.value || undefined))}
        />
      </div>
      {fields.map((field) => (
        <FieldInput
          key={`${node.id}/${field.key}`}
          field={field}
          value={getPath(data, field.key)}
          onChange={(value) => onChange(setPath(data, field.key, value))}
        />
      ))}
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
