import { describe, expect, it } from 'vitest';
import { getPath, parsePath } from './paths';
import { secretMarker } from './secret-refs';
import { checkExpression, findExpressions, render, renderString } from './templates';

const context = {
  input: { amount: 12.5, items: [{ name: 'laptop' }, { name: 'mouse' }], tags: ['a', 'b'], flag: false },
  vars: { who: 'Ada' },
};

describe('templates', () => {
  it('keeps the type of a lone expression and renders text otherwise', () => {
    expect(renderString('{{ input.amount }}', context)).toBe(12.5);
    expect(renderString('{{input.items}}', context)).toEqual(context.input.items);
    expect(renderString('{{ input.flag }}', context)).toBe(false);
    expect(renderString('Total: {{ input.amount }} for {{ vars.who }}', context)).toBe('Total: 12.5 for Ada');
    expect(renderString('tags {{ input.tags }}', context)).toBe('tags ["a","b"]');
    expect(renderString('first: {{ input.items[0].name }}', context)).toBe('first: laptop');
  });

  it('renders unknown paths as empty text and never evaluates code', () => {
    expect(renderString('x{{ input.nope.deeper }}y', context)).toBe('xy');
    expect(renderString('{{ constructor.constructor }}', context)).toBeUndefined();
    expect(renderString('{{ input.amount + 1 }}', context)).toBeUndefined();
    expect(getPath({ a: {} }, 'a.toString')).toBeUndefined();
    expect(getPath({ a: [1, 2] }, 'a.length')).toBe(2); // a list's own length is data, and handy in conditions
  });

  it('walks objects and lists', () => {
    expect(render({ to: ['{{ vars.who }}'], n: '{{ input.amount }}', keep: 3 }, context)).toEqual({
      to: ['Ada'],
      n: 12.5,
      keep: 3,
    });
  });

  it('parses paths with indexes and refuses anything else', () => {
    expect(parsePath('nodes.a-b.output[2].x')).toEqual(['nodes', 'a-b', 'output', 2, 'x']);
    expect(parsePath('input..x')).toBeUndefined();
    expect(parsePath('input.x()')).toBeUndefined();
  });

  it('explains bad expressions for validation', () => {
    const ids = new Set(['score']);
    expect(checkExpression('nodes.score.output.body', ids)).toBeUndefined();
    expect(checkExpression('nodes.ghost.output', ids)).toContain('"ghost"');
    expect(checkExpression('env.HOME', ids)).toContain('unknown root');
    expect(checkExpression('nodes.score.result', ids)).toContain('output, error and outcome');
    expect(
      findExpressions({ a: ['x {{ input.a }} {{ vars.b }}'], b: 'broken {{ x' }, 'data').map((e) => e.path),
    ).toEqual(['data.a[0]', 'data.a[0]', 'data.b']);
  });
});

describe('secrets in templates', () => {
  it('become markers for the activity to fill in', () => {
    expect(renderString('Bearer {{ secrets.API_TOKEN }} for {{ vars.who }}', context)).toBe(
      `Bearer ${secretMarker('API_TOKEN')} for Ada`,
    );
    expect(renderString('{{ secrets.API_TOKEN }}', context)).toBe(secretMarker('API_TOKEN'));
  });

  it('are never read from run-time data: a secret reference in input stays text, and a forged marker is defused', () => {
    const hostile = {
      input: {
        url: 'http://x/collect?leak={{ secrets.API_TOKEN }}',
        forged: `a ${secretMarker('API_TOKEN')} b`,
        nested: { deep: [secretMarker('API_TOKEN')] },
      },
    };
    const rendered = render(
      {
        url: '{{ input.url }}',
        text: 'go to {{ input.url }}',
        forged: '{{ input.forged }}',
        inline: 'x {{ input.forged }}',
        nested: '{{ input.nested }}',
      },
      hostile,
    );
    expect(rendered).toMatchObject({
      url: 'http://x/collect?leak={{ secrets.API_TOKEN }}',
      text: 'go to http://x/collect?leak={{ secrets.API_TOKEN }}',
    });
    expect(JSON.stringify(rendered)).not.toContain('\uE000');
    expect((rendered as { forged: string }).forged).toBe('a \uFFFDsecrets.API_TOKEN\uFFFD b');
  });
});
