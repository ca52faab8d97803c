/**
 * The nodes a loop iteration reads are a layered view, no longer a copy of the run's outputs per node entered: it
 * must read exactly as the copy did, every way the engine reads it.
 */
import { describe, expect, it } from 'vitest';
import { layeredNodes } from './layered-nodes';
import { getPath } from './paths';
import type { NodeState } from './port';
import { render } from './templates';

const run: Record<string, NodeState> = {
  a: { output: 'run a', outcome: null },
  b: { output: 'run b', outcome: null },
  c: { output: { deep: [1, 2] }, outcome: 'true' },
};
const outer: Record<string, NodeState> = { b: { output: 'outer b', outcome: null } };
const inner: Record<string, NodeState> = { a: { output: 'inner a', outcome: null } };
/** What contextFor made before: the run's outputs, then each loop's, the innermost last. */
const copy = Object.assign({}, run, outer, inner);

describe('the nodes a loop iteration reads', () => {
  const view = layeredNodes(run, [inner, outer]);

  it('reads as the copy of every layer did: own keys, values, order, JSON and templates', () => {
    expect(Object.keys(view)).toEqual(Object.keys(copy));
    expect(Object.entries(view)).toEqual(Object.entries(copy));
    expect(JSON.stringify(view)).toBe(JSON.stringify(copy));
    expect({ ...view }).toEqual(copy);
    for (const path of ['a.output', 'b.output', 'c.output.deep[1]', 'c.outcome', 'missing.output', 'toString'])
      expect(getPath(view, path)).toEqual(getPath(copy, path));
    expect(render('{{ a.output }} / {{ b.output }} / {{ c.output.deep }}', view)).toBe(
      render('{{ a.output }} / {{ b.output }} / {{ c.output.deep }}', copy),
    );
    expect('a' in view && !('missing' in view)).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(view, 'toString')).toBe(false);
  });

  it("is the run's own object when no loop has an output yet", () => {
    expect(layeredNodes(run, [{}, {}])).toBe(run);
  });

  it("refuses writes, so no node can change another iteration's outputs through it", () => {
    expect(() => {
      (view as Record<string, unknown>).a = { output: 'forged' };
    }).toThrow(TypeError);
    expect(() => delete (view as Record<string, unknown>).b).toThrow(TypeError);
    expect(run.a?.output).toBe('run a');
  });
});
