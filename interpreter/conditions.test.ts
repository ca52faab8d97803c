import { describe, expect, it } from 'vitest';
import { checkCondition, evaluateCondition, OPERATORS, type Condition } from './conditions';

const ctx = {
  input: {
    score: 7.5,
    asset: 'db-01',
    crit: 'high',
    tags: ['pci', 'prod'],
    empty: '',
    owner: { name: 'x' },
    limit: '8',
  },
};
const c = (field: string, operator: string, value?: unknown) =>
  ({ field, operator, ...(value === undefined ? {} : { value }) }) as Condition;

describe('conditions', () => {
  it.each([
    [c('input.score', 'greater_than', 7), true],
    [c('input.score', 'greater_than', '{{ input.limit }}'), false],
    [c('input.score', 'less_than_or_equal', 7.5), true],
    [c('input.score', 'greater_than_or_equal', 8), false],
    [c('input.score', 'less_than', 10), true],
    [c('input.limit', 'equals', 8), true],
    [c('input.crit', 'not_equals', 'low'), true],
    [c('input.tags', 'contains', 'pci'), true],
    [c('input.asset', 'contains', 'db'), true],
    [c('input.tags', 'not_contains', 'dev'), true],
    [c('input.crit', 'in', ['high', 'critical']), true],
    [c('input.crit', 'not_in', ['high', 'critical']), false],
    [c('input.asset', 'starts_with', 'db-'), true],
    [c('input.asset', 'ends_with', '-02'), false],
    [c('input.asset', 'matches', '^db-\\d+$'), true],
    [c('input.owner', 'exists'), true],
    [c('input.ghost', 'not_exists'), true],
    [c('input.empty', 'is_empty'), true],
    [c('input.tags', 'is_not_empty'), true],
    [{ all: [c('input.score', 'greater_than', 7), c('input.crit', 'in', ['high'])] }, true],
    [{ any: [c('input.score', 'greater_than', 9), c('input.crit', 'equals', 'low')] }, false],
    [{ not: c('input.score', 'greater_than', 9) }, true],
  ])('%j → %s', (condition, expected) => {
    expect(evaluateCondition(condition as Condition, ctx)).toBe(expected);
  });

  it('covers every documented operator', () => {
    expect([...OPERATORS].sort()).toEqual(
      [
        'contains',
        'ends_with',
        'equals',
        'exists',
        'greater_than',
        'greater_than_or_equal',
        'in',
        'is_empty',
        'is_not_empty',
        'less_than',
        'less_than_or_equal',
        'matches',
        'not_contains',
        'not_equals',
        'not_exists',
        'not_in',
        'starts_with',
      ].sort(),
    );
  });

  it('matches in linear time a pattern that backtracks catastrophically elsewhere', () => {
    const evil = `${'a'.repeat(50_000)}!`;
    // (a+)+$ takes exponential time on a backtracking engine; RE2 answers at once.
    expect(evaluateCondition(c('input.s', 'matches', '^(a+)+$'), { input: { s: evil } })).toBe(false);
  });

  it('reports every problem of a malformed condition with its path', () => {
    const problems = checkCondition(
      {
        all: [
          { field: 'input.x', operator: 'bigger', value: 1 },
          { field: 'input.y', operator: 'equals' },
          { field: 'in put', operator: 'matches', value: '(' },
          { any: [] },
        ],
      },
      'c',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'c.all[0].operator',
      'c.all[1].value',
      'c.all[2].field',
      'c.all[2].value',
      'c.all[3].any',
    ]);
    expect(
      checkCondition({ field: 'input.s', operator: 'matches', value: 'a'.repeat(600) }, 'c')[0]!.message,
    ).toContain('longer than');
  });
});
