/**
 * What publishing a file would change, against the latest published version: nodes and edges added, removed or
 * changed (matched by id, with the fields that changed), and the other settings (input schema, configuration, name…).
 */

export interface ItemChange {
  id: string;
  /** `+` added, `-` removed, `~` changed. */
  kind: '+' | '-' | '~';
  summary: string;
  /** For a change: the fields that differ (`data.approverRoles`, `target`). */
  fields: string[];
}

export interface DefinitionDiff {
  nodes: ItemChange[];
  edges: ItemChange[];
  /** Top-level fields other than nodes and edges that differ. */
  settings: string[];
}

/** JSON with its object keys sorted: two values are equal when their canonical texts are. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const sameJson = (a: unknown, b: unknown) => canonical(a) === canonical(b);

type Item = Record<string, unknown>;
const asItems = (value: unknown): Item[] =>
  Array.isArray(value) ? value.filter((v): v is Item => typeof v === 'object' && v !== null) : [];
const asObject = (value: unknown): Item =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Item) : {};

/** The fields of two items that differ, one level into `data` (where a node's settings live). */
function changedFields(before: Item, after: Item): string[] {
  const fields: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (sameJson(before[key], after[key])) continue;
    if (key === 'data') {
      const a = asObject(before.data);
      const b = asObject(after.data);
      for (const inner of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
        if (!sameJson(a[inner], b[inner])) fields.push(`data.${inner}`);
    } else {
      fields.push(key);
    }
  }
  return fields;
}

function diffItems(before: unknown, after: unknown, describe: (item: Item) => string): ItemChange[] {
  const old = new Map(asItems(before).map((item) => [String(item.id), item]));
  const changes: ItemChange[] = [];
  const seen = new Set<string>();
  for (const item of asItems(after)) {
    const id = String(item.id);
    seen.add(id);
    const previous = old.get(id);
    if (!previous) changes.push({ id, kind: '+', summary: describe(item), fields: [] });
    else if (!sameJson(previous, item))
      changes.push({ id, kind: '~', summary: describe(item), fields: changedFields(previous, item) });
  }
  for (const [id, item] of old) if (!seen.has(id)) changes.push({ id, kind: '-', summary: describe(item), fields: [] });
  return changes;
}

const describeNode = (node: Item) => `${String(node.id)} (${String(node.type)})`;
const describeEdge = (edge: Item) =>
  `${String(edge.id)}: ${String(edge.source)} -> ${String(edge.target)}${edge.sourceHandle ? ` [${String(edge.sourceHandle)}]` : ''}`;

/** `before` is undefined for a workflow with no published version: everything is new. */
export function diffDefinitions(before: unknown, after: Record<string, unknown>): DefinitionDiff {
  const old = asObject(before);
  const keys = [...new Set([...Object.keys(old), ...Object.keys(after)])]
    .filter((k) => k !== 'nodes' && k !== 'edges')
    .sort();
  return {
    nodes: diffItems(old.nodes, after.nodes, describeNode),
    edges: diffItems(old.edges, after.edges, describeEdge),
    settings: keys.filter((k) => !sameJson(old[k], after[k])),
  };
}

export const isEmptyDiff = (diff: DefinitionDiff) => !diff.nodes.length && !diff.edges.length && !diff.settings.length;

/** The diff as indented lines, `+`/`-`/`~` first, as a person reads a patch. */
export function renderDiff(diff: DefinitionDiff): string[] {
  const lines: string[] = [];
  const section = (title: string, changes: ItemChange[]) => {
    if (!changes.length) return;
    lines.push(`  ${title}:`);
    for (const c of changes)
      lines.push(`    ${c.kind} ${c.summary}${c.fields.length ? `: ${c.fields.join(', ')}` : ''}`);
  };
  section('nodes', diff.nodes);
  section('edges', diff.edges);
  if (diff.settings.length) lines.push('  settings:', ...diff.settings.map((s) => `    ~ ${s}`));
  return lines;
}
