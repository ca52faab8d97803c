import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpret } from './engine';
import { fakePort } from './fake-port';
import { isCron, validateDefinition } from './validate';

const examplesDir = path.resolve(__dirname, '../examples');

describe('validation', () => {
  it.each(readdirSync(examplesDir).filter((f) => f.endsWith('.json')))('accepts the shared example %s', (file) => {
    const result = validateDefinition(JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8')));
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const result = validateDefinition({
      configuration: { timeout: 'soon' },
      nodes: [
        { id: 'a', type: 'approval', data: { quorum: 2, expiresIn: 'tomorrow' } },
        { id: 'l', type: 'loop', data: {} },
        { id: 'e', type: 'end', data: {} },
        { id: 'x', type: 'condition', data: {} },
      ],
      edges: [
        { id: 'e1', source: 'a', target: 'e', sourceHandle: 'maybe' },
        { id: 'e2', source: 'e', target: 'a' },
        { id: 'e3', source: 'x', target: 'e', condition: { field: 'input.a', operator: 'equals', value: 1 } },
        { id: 'e4', source: 'x', target: 'e' },
        { id: 'e5', source: 'l', sourceHandle: 'body', target: 'e', isDefault: true },
        { id: 'e6', source: 'l', sourceHandle: 'body', target: 'e', isDefault: true },
      ],
    });
    const byPath = Object.fromEntries(result.errors.map((e) => [e.path, e.message]));
    expect(byPath['configuration.timeout']).toContain('not a duration');
    expect(byPath.nodes).toContain('no trigger');
    expect(byPath['nodes[0].data']).toContain('needs approvers');
    expect(byPath['nodes[0].data.expiresIn']).toContain('not a duration');
    expect(byPath['nodes[1].data.forEach']).toBeDefined();
    expect(byPath['edges[0].sourceHandle']).toContain('no handle "maybe"');
    expect(byPath['edges[1].source']).toContain('end node');
    expect(result.errors.some((e) => e.path === 'nodes[3]' && e.message.includes('mixes conditional'))).toBe(true);
    expect(result.errors.some((e) => e.path === 'nodes[1]' && e.message.includes('more than one default'))).toBe(true);
  });

  it('warns about an approval outcome with no edge', () => {
    const result = validateDefinition({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'a', type: 'approval', data: { approverRoles: ['manager'] } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'a' },
        { id: 'e2', source: 'a', sourceHandle: 'approved', target: 'e' },
      ],
    });
    expect(result.valid).toBe(true);
    expect(result.warnings.map((w) => w.message).join('\n')).toMatch(/"rejected"[\s\S]*"expired"/);
  });

  it('knows cron expressions and @every', () => {
    expect(isCron('*/5 * * * *')).toBe(true);
    expect(isCron('0 9 * * MON-FRI')).toBe(true);
    expect(isCron('@every 2s')).toBe(true);
    expect(isCron('every day')).toBe(false);
    expect(isCron('* * *')).toBe(false);
  });
});

// Random graphs: validation never throws; what it accepts runs to an outcome; what it refuses says where.
// Each graph has a spine (trigger first, an end last, every node fed by an earlier one) so that about
// half are valid; random extra edges, handles, conditions and duplicate ids break the rest.
const middleKinds = ['set', 'http', 'condition', 'split', 'end', 'failEnd', 'join', 'bogus'] as const;
const arbitraryGraph = fc
  .record({
    kinds: fc.array(fc.constantFrom(...middleKinds), { minLength: 0, maxLength: 7 }),
    parents: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    extra: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        handle: fc.constantFrom(null, null, 'true', 'false', 'error', 'odd'),
        cond: fc.option(fc.integer({ min: -5, max: 5 })),
        isDefault: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
    dupId: fc.boolean(),
  })
  .map(({ kinds, parents, extra, dupId }) => {
    const all = ['trigger', ...kinds, 'end'];
    const nodes = all.map((kind, i) => {
      const id = dupId && i === 2 && all.length > 3 ? 'n1' : `n${i}`;
      switch (kind) {
        case 'trigger':
          return { id, type: 'trigger', data: { trigger: { type: 'manual' } } };
        case 'set':
          return { id, type: 'action', data: { action: 'set', vars: { v: '{{ input.x }}' } } };
        case 'http':
          return { id, type: 'action', data: { action: 'http', url: 'http://target/{{ input.x }}' } };
        case 'condition':
          return {
            id,
            type: 'condition',
            data: { condition: { field: 'input.x', operator: 'greater_than', value: 0 } },
          };
        case 'split':
          return { id, type: 'condition', data: {} };
        case 'end':
          return { id, type: 'end', data: { status: 'completed', output: { x: '{{ input.x }}' } } };
        case 'failEnd':
          return { id, type: 'end', data: { status: 'failed' } };
        case 'join':
          return { id, type: 'join', data: { mode: i % 2 ? 'any' : 'all' } };
        default:
          return { id, type: 'bogus', data: {} };
      }
    });
    const edges: Array<Record<string, unknown>> = [];
    const handleFrom = (i: number) => (all[i] === 'condition' ? (edges.length % 2 ? 'true' : 'false') : null);
    for (let i = 1; i < all.length; i++) {
      const from = (parents[i - 1] ?? 0) % i;
      if (all[from] === 'end' || all[from] === 'failEnd') continue;
      const split = all[from] === 'split';
      edges.push({
        id: `s${i}`,
        source: `n${from}`,
        target: `n${i}`,
        sourceHandle: handleFrom(from),
        ...(split ? { condition: { field: 'input.x', operator: 'greater_than', value: i - 3 } } : {}),
      });
    }
    all.forEach((kind, i) => {
      if (kind === 'end' || kind === 'failEnd' || edges.some((e) => e.source === `n${i}`)) return;
      if (kind === 'condition') {
        edges.push(
          { id: `t${i}`, source: `n${i}`, target: `n${all.length - 1}`, sourceHandle: 'true' },
          { id: `f${i}`, source: `n${i}`, target: `n${all.length - 1}`, sourceHandle: 'false' },
        );
      } else
        edges.push({
          id: `x${i}`,
          source: `n${i}`,
          target: `n${all.length - 1}`,
          ...(kind === 'split' ? { isDefault: true } : {}),
        });
    });
    extra.forEach((e, j) => {
      edges.push({
        id: `e${j}`,
        source: `n${e.from % (all.length + 1)}`,
        target: `n${1 + (e.to % all.length)}`,
        sourceHandle: e.handle,
        ...(e.cond === null ? {} : { condition: { field: 'input.x', operator: 'greater_than', value: e.cond } }),
        ...(e.isDefault && e.cond === null ? { isDefault: true } : {}),
      });
    });
    return { configuration: { maxNodeVisits: 6 }, nodes, edges };
  });

describe('validation and interpretation of random graphs', () => {
  it('never throws; accepted graphs run to an outcome; refused ones name a path for every problem', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(arbitraryGraph, fc.integer({ min: -5, max: 5 }), fc.boolean(), async (graph, x, httpFails) => {
        const result = validateDefinition(graph);
        if (!result.valid || !result.definition) {
          refused++;
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) expect(typeof e.path).toBe('string');
          return;
        }
        accepted++;
        const outcome = await interpret(
          {
            definition: result.definition,
            input: { x },
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
          fakePort({
            work: () => (httpFails ? { ok: false, error: { message: 'down' } } : { ok: true, output: { status: 200 } }),
          }).port,
        );
        expect(['completed', 'failed', 'cancelled']).toContain(outcome.status);
        // What publish accepts, a run parses: the two read the same node model.
        expect(result.graph).toBeDefined();
        expect(outcome.error?.message ?? '').not.toContain('does not parse');
      }),
      { numRuns: 3000 },
    );
    // The generator must reach both halves.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateDefinition(value);
        expect(result.valid).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
