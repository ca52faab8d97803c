/**
 * Run input checked against a definition's `inputSchema` (JSON Schema draft
 * 2020-12). @cfworker/json-schema interprets schemas rather than compiling
 * them to code, so nothing from a definition is ever turned into a function;
 * and every regular expression a schema holds (`pattern`, `patternProperties`,
 * format "regex") runs on RE2, in time linear in the text, never on the
 * backtracking engine (where `^(a+)+$` takes seconds over 30 characters).
 */
import { type Schema, Validator } from '@cfworker/json-schema';
import { RE2JS } from 're2js';
import { compilePattern } from '../interpreter/conditions';
import { walkJson } from '../interpreter/json-walk';
import type { Problem } from '../lib/domain-errors';
import { pathText } from '../lib/json-path-text';

const WRAPPERS = new Set([
  'properties',
  'patternProperties',
  'items',
  'prefixItems',
  'allOf',
  '$ref',
  'dependentSchemas',
  'if',
  'then',
  'else',
  'additionalItems',
  'unevaluatedItems',
]);
const cache = new Map<string, Validator>();

/**
 * A schema's pattern compiled by RE2, after re2js translates ECMA-262 syntax (`\u0041`, `[^]`) to RE2's.
 * Throws, with RE2's reason, for one RE2 cannot run, such as a lookahead or a backreference.
 */
export function compileSchemaPattern(pattern: string): RE2JS {
  return compilePattern(RE2JS.translateRegExp(pattern));
}

/**
 * Stands in for `RegExp` while the validator runs: it builds every regular expression as
 * `new RegExp(source, 'u')` and only calls `test`, which this answers with RE2.
 */
class LinearRegExp {
  private readonly re2: RE2JS;

  constructor(readonly source: string) {
    this.re2 = compileSchemaPattern(source);
  }

  test(text: string): boolean {
    return this.re2.test(String(text));
  }
}

/**
 * Runs `check` with the global `RegExp` replaced by RE2. The validator names `RegExp` from the global scope
 * and offers no hook of its own; the swap lasts one synchronous call, so no other code can see it.
 */
function linearly<T>(check: () => T): T {
  const original = globalThis.RegExp;
  globalThis.RegExp = LinearRegExp as unknown as RegExpConstructor;
  try {
    return check();
  } finally {
    globalThis.RegExp = original;
  }
}

function validatorFor(schema: object, cacheKey: string): Validator {
  let validator = cache.get(cacheKey);
  if (!validator) {
    validator = new Validator(schema as Schema, '2020-12', false);
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, validator);
  }
  return validator;
}

function toPath(instanceLocation: string): string {
  const parts = instanceLocation
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p.replace(/~1/g, '/').replace(/~0/g, '~')));
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), 'input');
}

/** Every problem of `input` against `schema` (empty when valid). */
export function checkInput(schema: object | undefined, input: unknown, cacheKey: string): Problem[] {
  if (!schema) return [];
  let result: ReturnType<Validator['validate']>;
  try {
    result = linearly(() => validatorFor(schema, cacheKey).validate(input));
  } catch (error) {
    // Only a version published before patterns were checked at publish can hold one RE2 refuses.
    return [
      {
        path: 'input',
        message: `the workflow's inputSchema cannot be checked (${(error as Error).message}); publish a version whose patterns RE2 accepts`,
      },
    ];
  }
  if (result.valid) return [];
  const leaves = result.errors.filter((e) => !WRAPPERS.has(e.keyword));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of leaves.length ? leaves : result.errors) {
    const entry = { path: toPath(e.instanceLocation), message: e.error };
    const k = `${entry.path}\u0000${entry.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      problems.push(entry);
    }
  }
  return problems;
}

/** Keywords whose values are data, not schemas: a `pattern` inside them is not a pattern. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/** Every regular expression in a schema RE2 cannot run, with its path (`inputSchema.properties.code.pattern`). */
function patternProblems(schema: object): Problem[] {
  const problems: Problem[] = [];
  const check = (pattern: string, path: string) => {
    try {
      compileSchemaPattern(pattern);
    } catch (error) {
      problems.push({
        path,
        message: `${(error as Error).message}; patterns run on RE2 (linear time): no lookaround or backreferences`,
      });
    }
  };
  walkJson(schema, (value, place) => {
    if (DATA_KEYWORDS.has(String(place.key))) return false;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return true;
    const path = place.path();
    const at = pathText('inputSchema', path);
    const { pattern, patternProperties } = value as { pattern?: unknown; patternProperties?: unknown };
    if (typeof pattern === 'string') check(pattern, `${at}.pattern`);
    if (patternProperties && typeof patternProperties === 'object') {
      for (const key of Object.keys(patternProperties))
        check(key, pathText('inputSchema', [...path, 'patternProperties', key]));
    }
    return true;
  });
  return problems;
}

/** Problems of the schema itself, found by reading its patterns and using it once (for validation at publish). */
export function checkSchema(schema: unknown): Problem[] {
  if (schema === undefined) return [];
  if (!schema || typeof schema !== 'object' || Array.isArray(schema))
    return [{ path: 'inputSchema', message: 'inputSchema must be a JSON Schema object' }];
  const patterns = patternProblems(schema);
  if (patterns.length) return patterns;
  try {
    linearly(() => new Validator(schema as Schema, '2020-12', false).validate({}));
    return [];
  } catch (error) {
    return [{ path: 'inputSchema', message: `not a usable JSON Schema: ${(error as Error).message}` }];
  }
}
