/** Definitions an attacker or a fuzzer would send: validation answers with problems and paths, and never throws. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCondition, evaluateCondition, type Condition } from './conditions';
import { MAX_JSON_DEPTH, tooDeepAt, walkJson } from './json-walk';
import { validateDefinition } from './validate';

const EXAMPLES = ['purchase-order', 'employee-onboarding', 'bug-report-triage', 'vulnerability-remediation'];
const load = (name: string) =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../examples', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** A copy of `value` with the value at `at` replaced. */
function replaced(value: unknown, at: ReadonlyArray<string | number>, by: unknown): unknown {
  if (at.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[at[0]!] = replaced(copy[at[0]!], at.slice(1), by);
  return copy;
}

/** `{ all: [ { all: [ … { field, operator, value } ] } ] }`, `levels` groups deep. */
function nestedCondition(levels: number): unknown {
  let c: unknown = { field: 'input.x', operator: 'equals', value: 1 };
  for (let i = 0; i < levels; i++) c = { all: [c] };
  return c;
}

function deepList(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('JSON walk', () => {
  it('visits values in document order with their paths, without recursion', () => {
    const seen: string[] = [];
    walkJson({ a: [1, { b: 2 }], c: 3 }, (_v, place) => void seen.push(place.path().join('/')));
    expect(seen).toEqual(['', 'a', 'a/0', 'a/1', 'a/1/b', 'c']);
    expect(() => walkJson(deepList(100_000), () => true)).not.toThrow();
  });

  it('finds the first container deeper than the limit, and accepts one exactly at it', () => {
    expect(tooDeepAt(deepList(MAX_JSON_DEPTH))).toBeUndefined();
    expect(tooDeepAt(deepList(MAX_JSON_DEPTH + 1))).toHaveLength(MAX_JSON_DEPTH);
    expect(tooDeepAt({ a: { b: [[1]] } }, 3)).toEqual(['a', 'b', 0]);
  });
});

describe('validation of hostile definitions', () => {
  it('never throws when any value of a real definition is replaced by null, [null], a string or a number', () => {
    let tried = 0;
    for (const name of EXAMPLES) {
      const definition = load(name);
      const paths: Array<ReadonlyArray<string | number>> = [];
      walkJson(definition, (_v, place) => void paths.push(place.path()));
      for (const at of paths) {
        for (const by of [null, [null], 'x', 2 ** 31, {}]) {
          const mutated = replaced(definition, at, by);
          expect(
            () => validateDefinition(mutated, { selfId: 'self', knownWorkflowIds: new Set() }),
            `${name} ${at.join('.')} = ${JSON.stringify(by)}`,
          ).not.toThrow();
          tried++;
        }
      }
    }
    expect(tried).toBeGreaterThan(500);
  });

  it('lists nodes [null] and edges [null] with their paths', () => {
    const result = validateDefinition({ nodes: [null, { id: 'a', type: 'trigger', data: null }], edges: [null] });
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['nodes[0]', 'nodes[1].data', 'edges[0]']));
  });

  it('refuses a definition nested 100,000 levels deep with the path, without overflowing the stack', () => {
    const definition = {
      nodes: [{ id: 't', type: 'trigger', data: { trigger: { type: 'manual' }, deep: deepList(100_000) } }],
      edges: [],
    };
    const result = validateDefinition(definition);
    expect(result.valid).toBe(false);
    expect(result.errors[0]!.path).toMatch(/^nodes\[0\]\.data\.deep(\[0\])+$/);
    expect(result.errors[0]!.message).toContain('64 levels');
  });

  it('refuses a 5,000-deep condition with a clear problem, and checking one is bounded', () => {
    const condition = nestedCondition(5000);
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'c', type: 'condition', data: { condition } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'c' },
        { id: 'e2', source: 'c', sourceHandle: 'true', target: 'e' },
        { id: 'e3', source: 'c', sourceHandle: 'false', target: 'e' },
      ],
    };
    const result = validateDefinition(definition);
    expect(result.valid).toBe(false);
    expect(
      result.errors.some(
        (e) => e.path.startsWith('nodes[1].data.condition.all[0]') && e.message.includes('levels deep'),
      ),
    ).toBe(true);
    const problems = checkCondition(condition, 'c');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('nested more than 32 levels');
  });

  it('still evaluates a condition as deep as validation allows', () => {
    expect(evaluateCondition(nestedCondition(30) as Condition, { input: { x: 1 } })).toBe(true);
  });
});
