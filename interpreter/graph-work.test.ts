/**
 * The worst-case work of a graph: exact for plain nesting, an upper bound
 * the engine never exceeds for any graph (checked on random graphs against
 * the interpreter's own visit counts), and the refusal publish gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpret } from './engine';
import { fakePort } from './fake-port';
import { checkGraphWork, DEFAULT_MAX_GRAPH_WORK, graphWork } from './graph-work';
import type { Definition } from './schema';
import { nestedLoops } from '../test/support/graphs';
import { validateDefinition } from './validate';

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const set = (id: string) => ({ id, type: 'action', data: { action: 'set', vars: { last: '{{ index }}' } } });
const end = { id: 'end', type: 'end', data: {} };

describe('graph work', () => {
  it('multiplies maxIterations along nested loops, counting each node once per run of its scope', () => {
    // t, end and l1 once; l2 10 times; l3 100 times; the body 1,000 times.
    expect(graphWork(nestedLoops(3, 10)).total).toBe(1 + 1 + 1 + 10 + 100 + 1000);
    expect(graphWork(nestedLoops(2, 300)).total).toBe(3 + 300 + 90_000);
  });

  it('takes a loop without maxIterations at the engine default of 10,000', () => {
    expect(graphWork(nestedLoops(1)).total).toBe(3 + 10_000);
    expect(graphWork(nestedLoops(2)).heaviest).toMatchObject({ nodeId: 'work', work: 100_000_000 });
  });

  it('counts a cycle at maxNodeVisits, in every iteration of the loop around it', () => {
    const cycle: Definition = {
      configuration: { maxNodeVisits: 50 },
      nodes: [
        trigger,
        { id: 'poll', type: 'action', data: { action: 'http', url: 'http://127.0.0.1/poll' } },
        { id: 'ready', type: 'condition', data: {} },
        end,
      ],
      edges: [
        { id: 'a', source: 't', target: 'poll' },
        { id: 'b', source: 'poll', target: 'ready' },
        {
          id: 'c',
          source: 'ready',
          target: 'poll',
          condition: { field: 'nodes.poll.output.body.done', operator: 'equals', value: false },
        },
        { id: 'd', source: 'ready', target: 'end', isDefault: true },
      ],
    };
    // poll and ready 50 times each; end at most 50 times too (once per exit from ready).
    expect(graphWork(cycle).total).toBe(1 + 50 + 50 + 50);
    expect(graphWork(cycle).onCycle).toBe(true);

    const inLoop: Definition = {
      configuration: { maxNodeVisits: 50 },
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.items', maxIterations: 20 } },
        ...cycle.nodes.slice(1),
      ],
      edges: [
        { id: 'a', source: 't', target: 'each' },
        { id: 'b', source: 'each', sourceHandle: 'body', target: 'poll' },
        ...cycle.edges.slice(1, 3),
        { id: 'd', source: 'ready', target: 'each', isDefault: true },
        { id: 'e', source: 'each', sourceHandle: 'done', target: 'end' },
      ],
    };
    expect(graphWork(inLoop).heaviest?.work).toBe(20 * 50);
    expect(graphWork(inLoop).nesting).toEqual([{ nodeId: 'each', maxIterations: 20 }]);
  });

  it('counts a join that waits for all its branches once per round, not once per branch', () => {
    const fork: Definition = {
      nodes: [trigger, set('a'), set('b'), set('c'), { id: 'all', type: 'join', data: { mode: 'all' } }, end],
      edges: [
        { id: '1', source: 't', target: 'a' },
        { id: '2', source: 't', target: 'b' },
        { id: '3', source: 't', target: 'c' },
        { id: '4', source: 'a', target: 'all' },
        { id: '5', source: 'b', target: 'all' },
        { id: '6', source: 'c', target: 'all' },
        { id: '7', source: 'all', target: 'end' },
      ],
    };
    expect(graphWork(fork).total).toBe(6);
  });

  it('takes a loop that starts again inside its own iteration as unbounded: each start nests one level deeper', () => {
    const nesting: Definition = {
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.items', maxIterations: 2 } },
        set('work'),
        end,
      ],
      edges: [
        { id: 'a', source: 't', target: 'each' },
        { id: 'b', source: 'each', sourceHandle: 'body', target: 'work' },
        { id: 'c', source: 'work', target: 'each' },
        { id: 'd', source: 'each', sourceHandle: 'body', target: 'each' },
        { id: 'e', source: 'each', sourceHandle: 'done', target: 'end' },
      ],
    };
    expect(graphWork(nesting).total).toBe(Infinity);
    expect(checkGraphWork(nesting)[0]?.message).toContain('a run could make unboundedly many node runs');
  });

  it('refuses the 997 nested loops of the stalled-worker attack, naming the nesting, without stalling validation', () => {
    const attack = nestedLoops(997, 2);
    expect(attack.nodes).toHaveLength(1000);
    const started = performance.now();
    const problems = checkGraphWork(attack);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('nodes[998]');
    expect(problems[0]!.message).toContain('more than MAX_GRAPH_WORK (100,000)');
    expect(problems[0]!.message).toContain('nodes.l1 (maxIterations 2) > nodes.l2 (maxIterations 2) > ');
    expect(problems[0]!.message).toContain('> nodes.l997 (maxIterations 2) > nodes.work');
    // And without maxIterations the product overflows: unbounded, still refused.
    expect(checkGraphWork(nestedLoops(997))[0]!.message).toContain('unboundedly many');
  });

  it('is part of validation, with the limit the caller gives', () => {
    const heavy = nestedLoops(2, 300);
    expect(validateDefinition(heavy).errors).toEqual([]);
    const refused = validateDefinition(heavy, { maxGraphWork: 50_000 });
    expect(refused.valid).toBe(false);
    expect(refused.errors).toEqual([
      {
        path: 'nodes[3]',
        message: expect.stringContaining('nodes.l1 (maxIterations 300) > nodes.l2 (maxIterations 300) > nodes.work'),
      },
    ]);
  });

  it('accepts every example within the default limit', () => {
    const dir = path.resolve(__dirname, '../examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      expect(graphWork(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))).total, file).toBeLessThan(
        DEFAULT_MAX_GRAPH_WORK,
      );
    }
  });

  it('is an upper bound on what the interpreter does, for random graphs of loops, cycles, forks and joins', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        arbitraryLoopGraph,
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
        async (graph, items) => {
          const validation = validateDefinition(graph, { maxGraphWork: Number.MAX_SAFE_INTEGER });
          // Unbounded is right for some (a loop restarted from its own iteration nests without end): those are not run.
          const bound = graphWork(graph).total;
          if (!validation.valid || bound > 100_000) return;
          runs++;
          const outcome = await interpret(
            {
              definition: graph,
              input: { items, x: items.length },
              trigger: { type: 'manual' },
              run: {
                id: 'r',
                workflowId: 'w',
                workflowName: 'w',
                version: 1,
                startedAt: '2026-01-01T00:00:00Z',
                triggeredBy: null,
                priority: 'normal',
              },
            },
            fakePort().port,
          );
          // An entry past maxNodeVisits is counted, then refused (failing the run): it runs nothing.
          const max = graph.configuration!.maxNodeVisits!;
          const ran = Object.values(outcome.visits).reduce((sum, visits) => sum + Math.min(visits, max), 0);
          expect(ran).toBeLessThanOrEqual(bound);
        },
      ),
      { numRuns: 1500 },
    );
    expect(runs).toBeGreaterThan(200);
  });
});

// A spine from the trigger to an end through sets, conditions, joins and loops (each loop's body a short chain
// back to it), plus random extra edges: forward ones fork, backward ones make cycles, and from a loop they may
// leave by `done`, by `body` or with no handle at all.
const kinds = ['set', 'split', 'join', 'loop', 'loop'] as const;
const arbitraryLoopGraph = fc
  .record({
    spine: fc.array(
      fc.record({
        kind: fc.constantFrom(...kinds),
        bodyLength: fc.integer({ min: 0, max: 2 }),
        max: fc.integer({ min: 3, max: 4 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    extra: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        conditional: fc.boolean(),
        loopHandle: fc.constantFrom('done', 'body', null),
      }),
      { maxLength: 3 },
    ),
    maxNodeVisits: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ spine, extra, maxNodeVisits }): Definition => {
    const nodes: Definition['nodes'] = [trigger];
    const edges: Definition['edges'] = [];
    let previous = 't';
    let handle: string | null = null;
    const link = (
      source: string,
      target: string,
      sourceHandle: string | null = null,
      extraFields: Record<string, unknown> = {},
    ) =>
      edges.push({ id: `e${edges.length}`, source, target, ...(sourceHandle ? { sourceHandle } : {}), ...extraFields });
    spine.forEach((step, i) => {
      const id = `n${i}`;
      if (step.kind === 'set') nodes.push(set(id));
      if (step.kind === 'split')
        nodes.push({
          id,
          type: 'condition',
          data: { condition: { field: 'input.x', operator: 'greater_than', value: i % 3 } },
        });
      if (step.kind === 'join') nodes.push({ id, type: 'join', data: { mode: i % 2 ? 'any' : 'all' } });
      if (step.kind === 'loop')
        nodes.push({ id, type: 'loop', data: { forEach: 'input.items', maxIterations: step.max } });
      link(previous, id, handle);
      if (handle === 'true') link(previous, id, 'false');
      if (step.kind === 'loop') {
        let inBody = id;
        for (let b = 0; b < step.bodyLength; b++) {
          nodes.push(set(`${id}b${b}`));
          link(inBody, `${id}b${b}`, inBody === id ? 'body' : null);
          inBody = `${id}b${b}`;
        }
        if (inBody !== id) link(inBody, id);
      }
      previous = id;
      handle = step.kind === 'split' ? 'true' : step.kind === 'loop' ? 'done' : null;
    });
    nodes.push(end);
    link(previous, 'end', handle);
    if (handle === 'true') link(previous, 'end', 'false');
    const ids = nodes.map((n) => n.id);
    for (const e of extra) {
      const source = ids[e.from % (ids.length - 1)]!;
      const target = ids[1 + (e.to % (ids.length - 1))]!;
      const node = nodes.find((n) => n.id === source)!;
      const sourceHandle = node.type === 'condition' ? 'true' : node.type === 'loop' ? e.loopHandle : null;
      if (e.conditional)
        link(source, target, sourceHandle, { condition: { field: 'index', operator: 'less_than', value: 2 } });
      else link(source, target, sourceHandle);
    }
    return { configuration: { maxNodeVisits }, nodes, edges };
  });
