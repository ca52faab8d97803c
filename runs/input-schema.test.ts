/** inputSchema checks run every pattern on RE2: linear in the text, whatever the pattern. */
import { describe, expect, it } from 'vitest';
import { checkInput, checkSchema } from './input-schema';

const NativeRegExp = RegExp;

describe('inputSchema patterns', () => {
  it('answers ^(a+)+$ over a long hostile text at once, and leaves RegExp as it was', () => {
    const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };
    const started = performance.now();
    expect(checkInput(schema, { code: `${'a'.repeat(100_000)}!` }, 'redos-1')).toEqual([
      { path: 'input.code', message: 'String does not match pattern.' },
    ]);
    expect(checkInput(schema, { code: 'aaa' }, 'redos-1')).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(globalThis.RegExp).toBe(NativeRegExp);
  });

  it('runs patternProperties and format "regex" on RE2 too', () => {
    const schema = {
      type: 'object',
      patternProperties: { '^(x+)+$': { type: 'number' } },
      properties: { re: { type: 'string', format: 'regex' } },
    };
    const problems = checkInput(
      schema,
      { [`${'x'.repeat(40_000)}!`]: 'ignored', xx: 'not a number', re: '(?=lookahead)' },
      'redos-2',
    );
    expect(problems.map((p) => p.path).sort()).toEqual(['input.re', 'input.xx']);
  });

  it('reads ECMA-262 escapes the way JSON Schema writes them', () => {
    expect(checkInput({ type: 'string', pattern: '^\\u0041\\u{1F600}$' }, 'A😀', 'escapes')).toEqual([]);
    expect(checkSchema({ type: 'string', pattern: '^\\u0041$' })).toEqual([]);
  });

  it('refuses at publish every pattern RE2 cannot run, with its path, and nothing in data keywords', () => {
    const problems = checkSchema({
      type: 'object',
      properties: {
        a: { type: 'string', pattern: '(a)\\1' },
        b: { items: { pattern: '(?=x)' } },
        pattern: { type: 'string' },
      },
      patternProperties: { '(?<!y)z': {} },
      examples: [{ pattern: '(?=not a schema)' }],
    });
    expect(problems.map((p) => p.path)).toEqual([
      'inputSchema.patternProperties.(?<!y)z',
      'inputSchema.properties.a.pattern',
      'inputSchema.properties.b.items.pattern',
    ]);
  });

  it('answers with a problem, not a crash, for a schema published before patterns were checked', () => {
    const problems = checkInput({ type: 'string', pattern: '(?=x)' }, 'x', 'legacy');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('input');
    expect(globalThis.RegExp).toBe(NativeRegExp);
  });
});
