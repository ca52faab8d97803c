/** The pure parts of the hostile-input guard: measuring JSON text before parsing, and finding what cannot be stored. */
import { describe, expect, it } from 'vitest';
import { hostileProblems, MAX_JSON_DEPTH, parseUntrustedJson, pathText, tooDeepInText } from './hostile-input';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('tooDeepInText', () => {
  it('accepts 64 levels and names the path of the 65th, through keys and list positions', () => {
    expect(tooDeepInText(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(tooDeepInText(nested(MAX_JSON_DEPTH + 1))).toHaveLength(MAX_JSON_DEPTH);
    expect(tooDeepInText('{"a":1,"b\\"c":[0,{"d":[[]]}]}', 4)).toEqual(['b"c', 1, 'd', 0]);
  });

  it('ignores brackets, quotes and colons inside strings', () => {
    expect(tooDeepInText(`{"text":"${'[{'.repeat(1000)}\\" :,"}`)).toBeUndefined();
  });

  it('measures 100,000 levels without building them, in linear time', () => {
    const started = performance.now();
    expect(tooDeepInText(nested(100_000))).toHaveLength(MAX_JSON_DEPTH);
    expect(tooDeepInText(`[${'"x",'.repeat(400_000)}1]`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('hostileProblems', () => {
  it('finds NUL and lone surrogates in values and keys, and accepts whole surrogate pairs', () => {
    const problems = hostileProblems(
      JSON.parse('{"a":"x\\u0000","b\\u0000":1,"c":["\\ud800","\\udc00x","\\ud83d\\ude00"]}'),
      'body',
    );
    expect(problems.map((p) => p.path)).toEqual(['body.a', 'body.b\\u0000', 'body.c[0]', 'body.c[1]']);
  });

  it('lists at most 50 problems and says how many more there are', () => {
    const problems = hostileProblems(
      Array.from({ length: 120 }, () => '\u0000'),
      'body',
    );
    expect(problems).toHaveLength(51);
    expect(problems[50]).toEqual({ path: 'body', message: 'and 70 more problem(s) of the same kinds' });
  });

  it('reports a parsed value nested too deep once, at its path', () => {
    expect(hostileProblems(JSON.parse(nested(200)), 'querystring')).toEqual([
      { path: pathText('querystring', Array(64).fill(0)), message: 'nested more than 64 levels deep' },
    ]);
  });
});

describe('parseUntrustedJson', () => {
  it('parses clean JSON, says when text is not JSON, and refuses hostile JSON with a 400', () => {
    expect(parseUntrustedJson('{"a":[1]}')).toEqual({ ok: true, value: { a: [1] } });
    expect(parseUntrustedJson('not json')).toEqual({ ok: false });
    expect(() => parseUntrustedJson(nested(100_000))).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => parseUntrustedJson('{"a":"\\u0000"}')).toThrow(
      expect.objectContaining({ status: 400, errors: [expect.objectContaining({ path: 'body.a' })] }),
    );
  });
});
