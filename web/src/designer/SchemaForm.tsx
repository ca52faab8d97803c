/**
 * A node's fields, generated from the JSON Schema of its type's data (`GET /api/node-types`): text (with template
 * completions), numbers, choices, yes/no, lists, nested objects as groups, and a JSON field for what a form cannot
 * say (conditions, free-form bodies). A union (an action's `action`, an integration's `provider`) shows its
 * discriminator first, then the chosen branch's fields. Each field shows its help.
 */
import { useEffect, useState } from 'react';
import { getPath, setPath } from './graph-doc';
import type { NodeData } from './node-types';
import { TemplateInput } from './TemplateInput';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

type Kind = 'text' | 'number' | 'boolean' | 'select' | 'list' | 'object' | 'json' | 'skip';

const isStringList = (s: JsonSchema | undefined) =>
  s?.type === 'array' && (s.items?.type === 'string' || Array.isArray(s.items?.enum));

function kindOf(s: JsonSchema): Kind {
  if (s.const !== undefined) return 'skip';
  if (Array.isArray(s.enum)) return 'select';
  if (s.type === 'string') return 'text';
  if (s.type === 'integer' || s.type === 'number') return 'number';
  if (s.type === 'boolean') return 'boolean';
  if (isStringList(s) || (s.anyOf?.some(isStringList) && s.anyOf.every((b) => isStringList(b) || b.type === 'string')))
    return 'list';
  if (s.type === 'object' && s.properties && Object.keys(s.properties).length > 0) return 'object';
  return 'json';
}

/** The property every branch of a union fixes with `const`: the one that picks the branch. */
function discriminatorOf(branches: JsonSchema[]): string | undefined {
  const first = branches[0]?.properties ?? {};
  return Object.keys(first).find((key) => branches.every((b) => b.properties?.[key]?.const !== undefined));
}

const humanised = (key: string) => {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words[0]!.toUpperCase() + words.slice(1);
};
const asText = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const asJson = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));
const defaultText = (s: JsonSchema) => (s.default === undefined ? undefined : `default: ${JSON.stringify(s.default)}`);
const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A comma-separated list: the text is kept as typed (a trailing comma included) while it means the same list. */
function ListInput({
  id,
  value,
  placeholder,
  onChange,
}: {
  id: string;
  value: unknown;
  placeholder?: string | undefined;
  onChange: (v: unknown) => void;
}) {
  const shown = Array.isArray(value) ? value.join(', ') : asText(value);
  const [text, setText] = useState(shown);
  useEffect(() => {
    if (JSON.stringify(splitList(text)) !== JSON.stringify(splitList(shown))) setText(shown);
  }, [shown]);
  return (
    <input
      id={id}
      value={text}
      placeholder={placeholder}
      onChange={(e) => {
        setText(e.target.value);
        onChange(splitList(e.target.value));
      }}
    />
  );
}

/** JSON applied when the field is left; what does not parse is shown and not applied. Strings in it offer templates. */
function JsonInput({
  id,
  value,
  paths,
  onChange,
}: {
  id: string;
  value: unknown;
  paths: () => string[];
  onChange: (v: unknown) => void;
}) {
  const [text, setText] = useState(asJson(value));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setText(asJson(value)), [JSON.stringify(value)]);
  const apply = () => {
    if (text.trim() === '') return onChange(undefined);
    try {
      onChange(JSON.parse(text));
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  return (
    <>
      <TemplateInput id={id} rows={3} value={text} paths={paths} onChange={setText} onBlur={apply} />
      {problem && <small className="error">Not JSON: {problem}</small>}
    </>
  );
}

interface FieldProps {
  path: string;
  name: string;
  schema: JsonSchema;
  required: boolean;
  data: NodeData;
  paths: () => string[];
  onChange: (data: NodeData) => void;
}

function Field({ path, name, schema, required, data, paths, onChange }: FieldProps) {
  const kind = kindOf(schema);
  if (kind === 'skip') return null;
  const id = `field-${path}`;
  const value = getPath(data, path);
  const set = (next: unknown) => onChange(setPath(data, path, next));
  if (kind === 'object')
    return (
      <fieldset className="designer-group">
        <legend>{humanised(name)}</legend>
        {schema.description && <small className="muted">{schema.description}</small>}
        <Fields schema={schema} prefix={`${path}.`} data={data} paths={paths} onChange={onChange} />
      </fieldset>
    );
  const helpId = schema.description ? `${id}-help` : undefined;
  let input;
  switch (kind) {
    case 'select':
    case 'boolean': {
      const options = kind === 'boolean' ? [true, false] : schema.enum!;
      input = (
        <select
          id={id}
          aria-describedby={helpId}
          value={asText(value)}
          onChange={(e) => set(e.target.value === '' ? undefined : options.find((o) => String(o) === e.target.value))}
        >
          <option value="">{schema.default === undefined ? '—' : `— (${defaultText(schema)})`}</option>
          {options.map((o) => (
            <option key={String(o)}>{String(o)}</option>
          ))}
        </select>
      );
      break;
    }
    case 'number':
      input = (
        <input
          id={id}
          type="number"
          aria-describedby={helpId}
          placeholder={defaultText(schema)}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
      break;
    case 'list':
      input = <ListInput id={id} value={value} placeholder={defaultText(schema)} onChange={set} />;
      break;
    case 'json':
      input = <JsonInput id={id} value={value} paths={paths} onChange={set} />;
      break;
    default:
      input = (
        <TemplateInput
          id={id}
          value={asText(value)}
          placeholder={defaultText(schema)}
          describedBy={helpId}
          paths={paths}
          onChange={(text) => set(text || undefined)}
        />
      );
  }
  return (
    <div className="designer-field" data-field={path}>
      <span className="designer-field-head">
        <label htmlFor={id}>{humanised(name)}</label>
        {/* Beside the label, not in it: the field's name stays its name. */}
        {required && <abbr title="required">*</abbr>}
      </span>
      {input}
      {schema.description && (
        <small id={helpId} className="muted">
          {schema.description}
        </small>
      )}
    </div>
  );
}

interface FieldsProps {
  schema: JsonSchema;
  prefix: string;
  data: NodeData;
  paths: () => string[];
  onChange: (data: NodeData) => void;
}

/** An object's properties; for a union, its discriminator and then the chosen branch's. */
export function Fields({ schema, prefix, data, paths, onChange }: FieldsProps) {
  const branches = schema.oneOf ?? schema.anyOf;
  const discriminator = branches && discriminatorOf(branches);
  if (branches && discriminator) {
    const path = `${prefix}${discriminator}`;
    const current = getPath(data, path);
    const chosen = branches.find((b) => b.properties?.[discriminator]?.const === current);
    const choice: JsonSchema = {
      enum: branches.map((b) => b.properties![discriminator]!.const),
      description:
        chosen?.properties?.[discriminator]?.description ?? branches[0]?.properties?.[discriminator]?.description,
    };
    return (
      <>
        <Field
          path={path}
          name={discriminator}
          schema={choice}
          required
          data={data}
          paths={paths}
          onChange={onChange}
        />
        {chosen && <Fields schema={chosen} prefix={prefix} data={data} paths={paths} onChange={onChange} />}
      </>
    );
  }
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, inner]) => (
        <Field
          key={`${prefix}${name}`}
          path={`${prefix}${name}`}
          name={name}
          schema={inner}
          required={required.has(name)}
          data={data}
          paths={paths}
          onChange={onChange}
        />
      ))}
    </>
  );
}
