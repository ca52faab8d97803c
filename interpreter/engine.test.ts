/**
 * The interpreter driven by a fake port: routing, forks, joins, error edges,
 * cycles and ends, exhaustively and without Temporal.
 */
import { describe, expect, it } from 'vitest';
import { type EnginePort, interpret, type RunOutcome } from './engine';
import { fakePort } from './fake-port';
import type { Definition } from './schema';
import { validateDefinition } from './validate';

function run(definition: Definition, port: EnginePort, input: unknown = {}): Promise<RunOutcome> {
  const v = validateDefinition(definition);
  expect(v.errors).toEqual([]);
  return interpret(
    {
      definition,
      input,
      trigger: { type: 'manual' },
      run: {
        id: 'run-1',
        workflowId: 'wf',
        workflowName: 'Test',
        version: 1,
        startedAt: '2026-01-01T00:00:00Z',
        triggeredBy: null,
        priority: 'normal',
      },
    },
    port,
  );
}

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const end = (id: string, output?: unknown, status = 'completed') => ({
  id,
  type: 'end',
  data: { status, ...(output === undefined ? {} : { output }) },
});
const set = (id: string, vars: Record<string, unknown>) => ({ id, type: 'action', data: { action: 'set', vars } });
const http = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'action',
  data: { action: 'http', url: 'http://x/{{ input.path }}', ...extra },
});
const edge = (source: string, target: string, extra: Record<string, unknown> = {}) => ({
  id: `${source}-${target}-${String(extra.sourceHandle ?? '')}`,
  source,
  target,
  ...extra,
});

describe('interpreter', () => {
  it('routes by the first edge whose condition holds, else the default', async () => {
    const def: Definition = {
      nodes: [
        trigger,
        { id: 'c', type: 'condition', data: {} },
        end('big', 'big'),
        end('mid', 'mid'),
        end('small', 'small'),
      ],
      edges: [
        edge('t', 'c'),
        edge('c', 'big', { condition: { field: 'input.n', operator: 'greater_than', value: 100 } }),
        edge('c', 'mid', { condition: { field: 'input.n', operator: 'greater_than', value: 10 } }),
        edge('c', 'small', { isDefault: true }),
      ],
    };
    expect((await run(def, fakePort().port, { n: 500 })).output).toBe('big');
    expect((await run(def, fakePort().port, { n: 50 })).output).toBe('mid');
    expect((await run(def, fakePort().port, { n: 5 })).output).toBe('small');
  });

  it('fails with "no route" when no condition holds and there is no default', async () => {
    const def: Definition = {
      nodes: [trigger, { id: 'c', type: 'condition', data: {} }, end('big')],
      edges: [
        edge('t', 'c'),
        edge('c', 'big', { condition: { field: 'input.n', operator: 'greater_than', value: 100 } }),
      ],
    };
    const outcome = await run(def, fakePort().port, { n: 1 });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('no route from node "c"');
  });

  it('forks on several unconditional edges and joins them with mode all', async () => {
    const { port, steps } = fakePort();
    const def: Definition = {
      nodes: [
        trigger,
        set('a', { a: 1 }),
        set('b', { b: 2 }),
        { id: 'j', type: 'join', data: { mode: 'all' } },
        end('done', { a: '{{ vars.a }}', b: '{{ vars.b }}' }),
      ],
      edges: [edge('t', 'a'), edge('t', 'b'), edge('a', 'j'), edge('b', 'j'), edge('j', 'done')],
    };
    const outcome = await run(def, port);
    expect(outcome).toMatchObject({ status: 'completed', output: { a: 1, b: 2 } });
    expect(steps.filter((s) => s.nodeId === 'j')).toHaveLength(1);
    expect(steps.filter((s) => s.nodeId === 'done')).toHaveLength(1);
  });

  it('passes rendered config and a stable idempotency key to work, and records its step', async () => {
    const { port, requests, steps } = fakePort({
      work: () => ({ ok: true, output: { status: 201, body: { id: 9 } }, attempt: 2 }),
    });
    const def: Definition = {
      configuration: { retry: { maximumAttempts: 5, initialInterval: '2s' } },
      nodes: [
        trigger,
        http('call', { method: 'POST', body: { n: '{{ input.n }}' }, timeout: '30s', retry: { maximumAttempts: 2 } }),
        end('e', '{{ nodes.call.output.body.id }}'),
      ],
      edges: [edge('t', 'call'), edge('call', 'e')],
    };
    const outcome = await run(def, port, { n: 3, path: 'orders' });
    expect(outcome.output).toBe(9);
    expect(requests[0]).toMatchObject({
      idempotencyKey: 'run-1:call:1',
      config: { method: 'POST', url: 'http://x/orders', body: { n: 3 } },
      timeoutMs: 30_000,
      retry: { maximumAttempts: 2, initialIntervalMs: 2000 },
    });
    const callSteps = steps.filter((s) => s.nodeId === 'call');
    expect(callSteps.map((s) => s.status)).toEqual(['running', 'completed']);
    expect(callSteps[1]).toMatchObject({ attempt: 2, output: { status: 201 } });
    expect(callSteps[1]!.completedAt! - callSteps[1]!.startedAt).toBeGreaterThan(0);
  });

  it('follows the error edge of failed work with nodes.<id>.error set, or fails the run naming the node', async () => {
    const failing = () => ({ ok: false as const, error: { message: 'boom', type: 'HttpStatusError' } });
    const withEdge: Definition = {
      nodes: [trigger, http('call'), end('ok'), end('bad', { why: '{{ nodes.call.error.message }}' })],
      edges: [edge('t', 'call'), edge('call', 'ok'), edge('call', 'bad', { sourceHandle: 'error' })],
    };
    expect(await run(withEdge, fakePort({ work: failing }).port)).toMatchObject({
      status: 'completed',
      output: { why: 'boom' },
    });
    const without: Definition = {
      nodes: [trigger, http('call'), end('ok')],
      edges: [edge('t', 'call'), edge('call', 'ok')],
    };
    const outcome = await run(without, fakePort({ work: failing }).port);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ nodeId: 'call' });
    expect(outcome.error?.message).toContain('"call"');
  });

  it('bounds cycles by maxNodeVisits', async () => {
    const def: Definition = {
      configuration: { maxNodeVisits: 5 },
      nodes: [trigger, set('again', { n: 1 }), { id: 'c', type: 'condition', data: {} }, end('never')],
      edges: [
        edge('t', 'again'),
        edge('again', 'c'),
        edge('c', 'again', { condition: { field: 'vars.n', operator: 'equals', value: 1 } }),
        edge('c', 'never', { isDefault: true }),
      ],
    };
    const outcome = await run(def, fakePort().port);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('more than 5 times');
    expect(outcome.visits.again).toBe(6);
  });

  it('ends the whole run at once at an end with status failed', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { port, steps } = fakePort({
      work: async () => {
        await slow;
        return { ok: true, output: {} };
      },
    });
    const def: Definition = {
      nodes: [trigger, http('slow'), end('after'), end('stop', { reason: 'stopped' }, 'failed')],
      edges: [edge('t', 'slow'), edge('t', 'stop'), edge('slow', 'after')],
    };
    const outcome = await run(def, port);
    release();
    expect(outcome).toMatchObject({ status: 'failed', output: { reason: 'stopped' } });
    expect(steps.some((s) => s.nodeId === 'after')).toBe(false);
  });
});

describe('interpreter: waiting, loops and children', () => {
  it('waits a duration, or until a timestamp', async () => {
    const { port, sleeps } = fakePort();
    const def: Definition = {
      nodes: [
        trigger,
        { id: 'd1', type: 'delay', data: { duration: '90s' } },
        { id: 'd2', type: 'delay', data: { until: '{{ input.at }}' } },
        end('e'),
      ],
      edges: [edge('t', 'd1'), edge('d1', 'd2'), edge('d2', 'e')],
    };
    const outcome = await run(def, port, { at: new Date(1_000 + 500_000).toISOString() });
    expect(outcome.status).toBe('completed');
    expect(sleeps[0]).toBe(90_000);
    // The clock stands at about 91 s when the second delay starts, so it waits for the rest of the 500 s.
    expect(sleeps[1]).toBeGreaterThan(400_000);
    expect(sleeps[1]).toBeLessThan(500_000);
  });

  it('runs a loop body once per item, in order of items, with item, index and `as`, each with its own idempotency key', async () => {
    const { port, requests, steps } = fakePort({ work: (r) => ({ ok: true, output: { got: r.config.body } }) });
    const def: Definition = {
      configuration: { maxNodeVisits: 2 },
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.things', as: 'thing', concurrency: 2 } },
        http('order', { method: 'POST', body: { name: '{{ thing }}', at: '{{ index }}', same: '{{ item }}' } }),
        end('e', { results: '{{ nodes.each.output }}' }),
      ],
      edges: [
        edge('t', 'each'),
        edge('each', 'order', { sourceHandle: 'body' }),
        edge('order', 'each'),
        edge('each', 'e', { sourceHandle: 'done' }),
      ],
    };
    const outcome = await run(def, port, { things: ['laptop', 'mouse', 'desk'], path: 'p' });
    expect(outcome.status).toBe('completed');
    expect((outcome.output as { results: unknown[] }).results).toEqual([
      { got: { name: 'laptop', at: 0, same: 'laptop' } },
      { got: { name: 'mouse', at: 1, same: 'mouse' } },
      { got: { name: 'desk', at: 2, same: 'desk' } },
    ]);
    expect(requests.map((r) => r.idempotencyKey).sort()).toEqual([
      'run-1:each[0]/order:1',
      'run-1:each[1]/order:1',
      'run-1:each[2]/order:1',
    ]);
    expect(steps.filter((s) => s.nodeId === 'each' && s.status === 'completed')).toHaveLength(1);
  });

  it('leaves an empty loop by done at once, and refuses a list longer than maxIterations', async () => {
    const def = (max?: number): Definition => ({
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.things', ...(max ? { maxIterations: max } : {}) } },
        set('s', { x: 1 }),
        end('e', '{{ nodes.each.output }}'),
      ],
      edges: [
        edge('t', 'each'),
        edge('each', 's', { sourceHandle: 'body' }),
        edge('s', 'each'),
        edge('each', 'e', { sourceHandle: 'done' }),
      ],
    });
    expect(await run(def(), fakePort().port, { things: [] })).toMatchObject({ status: 'completed', output: [] });
    const tooMany = await run(def(2), fakePort().port, { things: [1, 2, 3] });
    expect(tooMany.status).toBe('failed');
    expect(tooMany.error?.message).toContain('maxIterations');
    const notAList = await run(def(), fakePort().port, { things: 'x' });
    expect(notAList.error?.message).toContain('not a list');
  });

  it('fails the run with "no route" when no body edge of a loop holds for an item, as it does everywhere else', async () => {
    const def: Definition = {
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.things' } },
        set('s', { x: '{{ item }}' }),
        end('e', '{{ nodes.each.output }}'),
      ],
      edges: [
        edge('t', 'each'),
        edge('each', 's', { sourceHandle: 'body', condition: { field: 'item', operator: 'less_than', value: 10 } }),
        edge('s', 'each'),
        edge('each', 'e', { sourceHandle: 'done' }),
      ],
    };
    // The first item has a route and the second not: the iteration that cannot start fails the run.
    const { port, steps } = fakePort();
    const outcome = await run(def, port, { things: [1, 50, 2] });
    expect(outcome).toMatchObject({ status: 'failed', error: { nodeId: 'each' } });
    expect(outcome.error?.message).toContain('no route from node "each"');
    expect(steps.filter((s) => s.nodeId === 's' && s.status === 'completed')).toHaveLength(1);
    expect(steps.some((s) => s.nodeId === 'e')).toBe(false);
    // And when the very first iteration has none.
    const first = await run(def, fakePort().port, { things: [50] });
    expect(first).toMatchObject({ status: 'failed', error: { nodeId: 'each' } });
    expect(first.error?.message).toContain('no route from node "each"');
  });

  it('fails the run with "no route" from a condition inside a loop body, naming that node', async () => {
    const def: Definition = {
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.things', concurrency: 2 } },
        { id: 'c', type: 'condition', data: {} },
        set('small', { x: '{{ item }}' }),
        end('e', '{{ nodes.each.output }}'),
      ],
      edges: [
        edge('t', 'each'),
        edge('each', 'c', { sourceHandle: 'body' }),
        edge('c', 'small', { condition: { field: 'item', operator: 'less_than', value: 10 } }),
        edge('small', 'each'),
        edge('each', 'e', { sourceHandle: 'done' }),
      ],
    };
    const outcome = await run(def, fakePort().port, { things: [1, 2, 50] });
    expect(outcome).toMatchObject({ status: 'failed', error: { nodeId: 'c' } });
    expect(outcome.error?.message).toContain('no route from node "c"');
  });

  it('records the attempts a failed work step really took', async () => {
    const { port, steps } = fakePort({
      work: () => ({ ok: false, error: { message: 'down', type: 'HttpStatusError' }, attempt: 3 }),
    });
    const def: Definition = {
      nodes: [trigger, http('call', { retry: { maximumAttempts: 3 } }), end('ok'), end('bad')],
      edges: [edge('t', 'call'), edge('call', 'ok'), edge('call', 'bad', { sourceHandle: 'error' })],
    };
    expect((await run(def, port, { path: 'p' })).status).toBe('completed');
    expect(steps.filter((s) => s.nodeId === 'call').at(-1)).toMatchObject({
      status: 'failed',
      attempt: 3,
      error: { message: 'down' },
    });
  });

  it('routes an approval by its outcome, and expired by its own handle', async () => {
    const def: Definition = {
      nodes: [
        trigger,
        {
          id: 'a',
          type: 'approval',
          data: { approverRoles: ['manager'], expiresIn: '2d', message: 'Buy {{ input.item }}?' },
        },
        end('yes', 'yes'),
        end('no', 'no'),
        end('late', 'late'),
      ],
      edges: [
        edge('t', 'a'),
        edge('a', 'yes', { sourceHandle: 'approved' }),
        edge('a', 'no', { sourceHandle: 'rejected' }),
        edge('a', 'late', { sourceHandle: 'expired' }),
      ],
    };
    const decided = (outcome: string) =>
      fakePort({ approve: () => ({ outcome, decidedBy: 'u', comment: 'ok', votes: [] }) });
    const approved = decided('approved');
    expect((await run(def, approved.port, { item: 'a laptop' })).output).toBe('yes');
    expect(approved.approvals[0]).toMatchObject({
      approverRoles: ['manager'],
      quorum: 1,
      message: 'Buy a laptop?',
      outcomes: ['approved', 'rejected'],
    });
    expect(approved.approvals[0]!.expiresAt).toBeGreaterThan(2 * 86_400_000);
    expect((await run(def, decided('rejected').port)).output).toBe('no');
    expect((await run(def, decided('expired').port)).output).toBe('late');
  });

  it('runs a subworkflow with rendered input, and follows its error edge when the child fails', async () => {
    const def: Definition = {
      nodes: [
        trigger,
        { id: 'child', type: 'subworkflow', data: { workflowId: 'wf-2', input: { who: '{{ input.who }}' } } },
        end('ok', '{{ nodes.child.output }}'),
        end('bad', '{{ nodes.child.error.message }}'),
      ],
      edges: [edge('t', 'child'), edge('child', 'ok'), edge('child', 'bad', { sourceHandle: 'error' })],
    };
    const ok = fakePort({ child: (r) => ({ ok: true, output: { hello: (r.input as { who: string }).who } }) });
    expect((await run(def, ok.port, { who: 'Ada' })).output).toEqual({ hello: 'Ada' });
    expect(ok.children[0]).toMatchObject({ workflowId: 'wf-2', version: null, wait: true });
    expect(
      (await run(def, fakePort({ child: () => ({ ok: false, error: { message: 'child failed' } }) }).port)).output,
    ).toBe('child failed');
  });
});
