/**
 * `{{ path }}` templates. A string that is exactly one expression keeps the
 * value's type; otherwise values are rendered as text. Nothing is evaluated:
 * an expression is a path and nothing more.
 */
import { getPath, parsePath } from './paths';
import { defuse, defuseText, secretMarker, secretNameOf } from './secret-refs';

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;
const LONE = /^\{\{\s*([^{}]*?)\s*\}\}$/;

/** Roots a template may read (definition-format.md, "The run context"). */
export const CONTEXT_ROOTS = ['input', 'trigger', 'vars', 'nodes', 'run', 'item', 'index', 'secrets'] as const;
const CONTEXT_ROOT_NAMES: ReadonlySet<string> = new Set(CONTEXT_ROOTS);

export function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Renders one string of the definition against the context. `{{ secrets.* }}` becomes a marker that only the
 * activity doing the work fills in (so no secret enters history); values from the context are run-time data,
 * placed as they are and never rendered again (secret-refs.ts).
 */
export function renderString(template: string, context: unknown): unknown {
  const lone = LONE.exec(template);
  if (lone) {
    // Group 1 always takes part in a match: `?? ''` only satisfies the index type.
    const expression = lone[1] ?? '';
    const secret = secretNameOf(expression);
    return secret ? secretMarker(secret) : defuse(getPath(context, expression));
  }
  if (!template.includes('{{')) return template;
  return template.replace(EXPRESSION, (_whole: string, expr: string) => {
    const secret = secretNameOf(expr);
    return secret ? secretMarker(secret) : defuseText(toText(getPath(context, expr)));
  });
}

/** Renders every string inside a JSON value (objects and lists are walked; keys are kept). */
export function render(value: unknown, context: unknown): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) return value.map((v) => render(v, context));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = render(v, context);
    return out;
  }
  return value;
}

/** Every expression inside a JSON value, with where it stands (for validation). */
export function findExpressions(value: unknown, at: string): Array<{ path: string; expression: string }> {
  const found: Array<{ path: string; expression: string }> = [];
  const walk = (v: unknown, where: string) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(EXPRESSION)) found.push({ path: where, expression: m[1] ?? '' });
      const stray = v.replace(EXPRESSION, '');
      if (stray.includes('{{') || stray.includes('}}')) found.push({ path: where, expression: '\u0000unbalanced' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
  };
  walk(value, at);
  return found;
}

/** Why an expression cannot be read, or undefined when it is a well-formed path with a known root. */
export function checkExpression(
  expression: string,
  nodeIds: ReadonlySet<string>,
  extraRoots: ReadonlySet<string> = new Set(),
): string | undefined {
  if (expression === '\u0000unbalanced') return 'unbalanced `{{` or `}}` in template';
  const segments = parsePath(expression);
  if (!segments)
    return `\`{{ ${expression} }}\` is not a path (expressions are dotted paths like input.amount; nothing is evaluated)`;
  // A path starts with a name (parsePath), never an index.
  const root = String(segments[0]);
  if (!CONTEXT_ROOT_NAMES.has(root) && !extraRoots.has(root)) {
    return `\`{{ ${expression} }}\` starts with unknown root "${root}" (one of ${CONTEXT_ROOTS.join(', ')})`;
  }
  if (root === 'nodes') {
    const id = segments[1];
    if (typeof id !== 'string') return `\`{{ ${expression} }}\` must name a node: nodes.<id>.output…`;
    if (!nodeIds.has(id)) return `\`{{ ${expression} }}\` refers to node "${id}", which does not exist`;
    const field = segments[2];
    if (field !== undefined && !['output', 'error', 'outcome'].includes(String(field))) {
      return `\`{{ ${expression} }}\`: a node has output, error and outcome, not "${String(field)}"`;
    }
  }
  return undefined;
}

/** Renders each value of an object (`render` of an object, typed as one). */
export function renderRecord(value: Readonly<Record<string, unknown>>, context: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = render(v, context);
  return out;
}
