/**
 * The interpreter on the largest graphs and lists it accepts: it starts a
 * thousand-node graph at once and never overflows the stack, since a
 * workflow task that throws is retried for ever and the run stalls.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ITERATIONS, interpret, type RunStart } from './engine';
import { fakePort } from './fake-port';
import type { Definition } from './schema';
import { nestedLoops } from '../test/support/graphs';

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const run: RunStart['run'] = {
  id: 'r',
  workflowId: 'w',
  workflowName: 'w',
  version: 1,
  startedAt: '2026-01-01T00:00:00Z',
  triggeredBy: null,
  priority: 'normal',
};

describe('the interpreter on large graphs', () => {
  it('starts a graph of 997 nested loops at once (it walked every edge for every loop before the first node)', async () => {
    const { nodes, edges } = nestedLoops(997, 2);
    const started = performance.now();
    // One item in each loop: the run goes down all 997 levels and back once.
    const outcome = await interpret(
      { definition: { nodes, edges }, input: { items: [1] }, trigger: { type: 'manual' }, run },
      fakePort().port,
    );
    expect(outcome.status).toBe('completed');
    expect(outcome.visits['l1[0]/l2[0]/l3[0]/l4']).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('runs a loop with no body over the most items it allows without overflowing the stack', async () => {
    const definition: Definition = {
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.items' } },
        { id: 'end', type: 'end', data: { output: '{{ nodes.each.output.length }}' } },
      ],
      edges: [
        { id: 'a', source: 't', target: 'each' },
        { id: 'b', source: 'each', sourceHandle: 'done', target: 'end' },
      ],
    };
    const items = Array.from({ length: DEFAULT_MAX_ITERATIONS }, (_, i) => i);
    const outcome = await interpret(
      { definition, input: { items }, trigger: { type: 'manual' }, run },
      fakePort().port,
    );
    expect(outcome).toMatchObject({ status: 'completed', output: DEFAULT_MAX_ITERATIONS });
  });
});
