/**
 * Conditions are JSON, never code: `{ field, operator, value }`, `{ all }`,
 * `{ any }`, `{ not }`. Regular expressions run on RE2 (linear time), so no
 * pattern from a definition can backtrack catastrophically.
 */
import { RE2JS } from 're2js';
import { parsePath, getPath } from './paths';
import { renderString } from './templates';

export const OPERATORS = [
  'equals',
  'not_equals',
  'greater_than',
  'greater_than_or_equal',
  'less_than',
  'less_than_or_equal',
  'contains',
  'not_contains',
  'in',
  'not_in',
  'starts_with',
  'ends_with',
  'matches',
  'exists',
  'not_exists',
  'is_empty',
  'is_not_empty',
] as const;
export type Operator = (typeof OPERATORS)[number];
const OPERATOR_NAMES: ReadonlySet<string> = new Set(OPERATORS);
const isOperator = (name: string): name is Operator => OPERATOR_NAMES.has(name);

/** Operators that read only the field. */
const UNARY: ReadonlySet<string> = new Set(['exists', 'not_exists', 'is_empty', 'is_not_empty']);

export const MAX_PATTERN_LENGTH = 512;
/** Longer texts are matched on their first this-many characters. */
export const MAX_MATCH_INPUT = 100_000;

export type Condition =
  | { field: string; operator: Operator; value?: unknown }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

/** Raised for a condition that cannot be evaluated; validation catches these before publish. */
export class ConditionError extends Error {
  override name = 'ConditionError';
}

const patternCache = new Map<string, RE2JS>();

export function compilePattern(pattern: string): RE2JS {
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new ConditionError(`regular expression longer than ${MAX_PATTERN_LENGTH} characters`);
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      throw new ConditionError(
        `invalid regular expression /${pattern}/: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

function isNumeric(v: unknown): v is number | string {
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equality as people mean it in a form: 7 equals "7", otherwise structural. */
function looselyEqual(a: unknown, b: unknown): boolean {
  if (deepEqual(a, b)) return true;
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  return false;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (isNumeric(a) && isNumeric(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function contains(haystack: unknown, needle: unknown): boolean {
  if (typeof haystack === 'string') return needle !== undefined && needle !== null && haystack.includes(String(needle));
  if (Array.isArray(haystack)) return haystack.some((x) => looselyEqual(x, needle));
  if (haystack && typeof haystack === 'object')
    return typeof needle === 'string' && Object.prototype.hasOwnProperty.call(haystack, needle);
  return false;
}

function renderValue(value: unknown, context: unknown): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, context));
  return value;
}

function applyOperator(operator: Operator, field: unknown, value: unknown): boolean {
  switch (operator) {
    case 'equals':
      return looselyEqual(field, value);
    case 'not_equals':
      return !looselyEqual(field, value);
    case 'greater_than': {
      const c = compare(field, value);
      return c !== undefined && c > 0;
    }
    case 'greater_than_or_equal': {
      const c = compare(field, value);
      return c !== undefined && c >= 0;
    }
    case 'less_than': {
      const c = compare(field, value);
      return c !== undefined && c < 0;
    }
    case 'less_than_or_equal': {
      const c = compare(field, value);
      return c !== undefined && c <= 0;
    }
    case 'contains':
      return contains(field, value);
    case 'not_contains':
      return !contains(field, value);
    case 'in':
      return Array.isArray(value) ? value.some((x) => looselyEqual(field, x)) : contains(value, field);
    case 'not_in':
      return !(Array.isArray(value) ? value.some((x) => looselyEqual(field, x)) : contains(value, field));
    case 'starts_with':
      return typeof field === 'string' && typeof value === 'string' && field.startsWith(value);
    case 'ends_with':
      return typeof field === 'string' && typeof value === 'string' && field.endsWith(value);
    case 'matches': {
      if (typeof value !== 'string') throw new ConditionError('`matches` needs a pattern string as value');
      if (field === undefined || field === null || typeof field === 'object') return false;
      return compilePattern(value).test(String(field).slice(0, MAX_MATCH_INPUT));
    }
    case 'exists':
      return field !== undefined && field !== null;
    case 'not_exists':
      return field === undefined || field === null;
    case 'is_empty':
      return isEmpty(field);
    case 'is_not_empty':
      return !isEmpty(field);
  }
}

/** Evaluates a condition against the run context. Throws ConditionError for a malformed one. */
export function evaluateCondition(condition: Condition, context: unknown): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, context));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, context));
  if ('not' in condition) return !evaluateCondition(condition.not, context);
  if (!isOperator(condition.operator)) throw new ConditionError(`unknown operator "${String(condition.operator)}"`);
  return applyOperator(condition.operator, getPath(context, condition.field), renderValue(condition.value, context));
}

/** Every problem of a condition, each with its JSON path (for validation). */
export function checkCondition(condition: unknown, at: string): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const walk = (c: unknown, where: string, depth: number) => {
    if (depth > 32) return problems.push({ path: where, message: 'condition nested more than 32 levels deep' });
    if (!isRecord(c))
      return problems.push({
        path: where,
        message: 'a condition is an object: { field, operator, value }, { all }, { any } or { not }',
      });
    const o = c;
    const kinds = ['all', 'any', 'not', 'field'].filter((k) => k in o);
    if (kinds.length !== 1)
      return problems.push({ path: where, message: 'a condition has exactly one of field, all, any, not' });
    if ('all' in o || 'any' in o) {
      const key = 'all' in o ? 'all' : 'any';
      const list = o[key];
      if (!Array.isArray(list) || list.length === 0)
        return problems.push({ path: `${where}.${key}`, message: `${key} needs a non-empty list of conditions` });
      list.forEach((x, i) => walk(x, `${where}.${key}[${i}]`, depth + 1));
      return;
    }
    if ('not' in o) return walk(o.not, `${where}.not`, depth + 1);
    if (typeof o.field !== 'string' || !parsePath(o.field))
      problems.push({ path: `${where}.field`, message: 'field must be a context path such as input.amount' });
    if (typeof o.operator !== 'string' || !isOperator(o.operator)) {
      problems.push({
        path: `${where}.operator`,
        message: `unknown operator ${JSON.stringify(o.operator)}; one of ${OPERATORS.join(', ')}`,
      });
    } else if (!UNARY.has(o.operator) && !('value' in o)) {
      problems.push({ path: `${where}.value`, message: `operator ${o.operator} needs a value` });
    } else if (o.operator === 'matches') {
      if (typeof o.value !== 'string')
        problems.push({ path: `${where}.value`, message: 'matches needs a regular expression string' });
      else if (!o.value.includes('{{')) {
        try {
          compilePattern(o.value);
        } catch (error) {
          problems.push({ path: `${where}.value`, message: error instanceof Error ? error.message : String(error) });
        }
      }
    } else if (
      (o.operator === 'in' || o.operator === 'not_in') &&
      !Array.isArray(o.value) &&
      typeof o.value !== 'string'
    ) {
      problems.push({ path: `${where}.value`, message: `${o.operator} needs a list (or a template naming one)` });
    }
  };
  walk(condition, at, 0);
  return problems;
}
