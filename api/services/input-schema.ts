/**
 * Run input checked against a definition's `inputSchema` (JSON Schema draft
 * 2020-12). @cfworker/json-schema interprets schemas rather than compiling
 * them to code, so nothing from a definition is ever turned into a function.
 */
import { type Schema, Validator } from '@cfworker/json-schema';
import type { ProblemEntry } from '../errors';

const WRAPPERS = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'dependentSchemas', 'if', 'then', 'else', 'additionalItems', 'unevaluatedItems']);
const cache = new Map<string, Validator>();

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
  const parts = instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => decodeURIComponent(p.replace(/~1/g, '/').replace(/~0/g, '~')));
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), 'input');
}

/** Every problem of `input` against `schema` (empty when valid). */
export function checkInput(schema: object | undefined, input: unknown, cacheKey: string): ProblemEntry[] {
  if (!schema) return [];
  const result = validatorFor(schema, cacheKey).validate(input);
  if (result.valid) return [];
  const leaves = result.errors.filter((e) => !WRAPPERS.has(e.keyword));
  const seen = new Set<string>();
  const problems: ProblemEntry[] = [];
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

/** Problems of the schema itself, found by using it once (for validation at publish). */
export function checkSchema(schema: unknown): ProblemEntry[] {
  if (schema === undefined) return [];
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [{ path: 'inputSchema', message: 'inputSchema must be a JSON Schema object' }];
  try {
    new Validator(schema as Schema, '2020-12', false).validate({});
    return [];
  } catch (error) {
    return [{ path: 'inputSchema', message: `not a usable JSON Schema: ${(error as Error).message}` }];
  }
}
