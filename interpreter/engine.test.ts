/**
 * The interpreter driven by a fake port: routing, forks, joins, error edges,
 * cycles and ends, exhaustively and without Temporal.
 */
import { describe, expect, it } from 'vitest';
import { type EnginePort, interpret, type RunOutcome, type StepRecord, type WorkRequest, type WorkResult } from './engine';
import type { Definition } from './schema';
import { validateDefinition } from './validate';

type Work = (request: WorkRequest) => WorkResult | Promise<WorkResult>;

function fakePort(work: Work = () => ({ ok: true, output: { status: 200 } })) {
  let clock = 1_000;
  const steps: StepRecord[] = [];
  const requests: WorkRequest[] = [];
  const port: EnginePort = {
    now: () => (clock += 5),
    runWork: async (request) => {
      requests.push(request);
      return work(request);
    },
    recordStep: async (step) => {
      steps.push(step);
    },
  };
  return { port, steps, requests };
}

function run(definition: Definition, port: EnginePort, input: unknown = {}): Promise<RunOutcome> {
  const v = validateDefinition(definition);
  expect(v.errors).toEqual([]);
  return interpret(
    { definition, input, trigger: { type: 'manual' }, run: { id: 'run-1', workflowId: 'wf', workflowName: 'Test', version: 1, startedAt: '2026-01-01T00:00:00Z', triggeredBy: null, priority: 'normal' } },
    port,
  );
}

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const end = (id: string, output?: unknown, status = 'completed') => ({ id, type: 'end', data: { status, ...(output === undefined ? {} : { output }) } });
const set = (id: string, vars: Record<string, unknown>) => ({ id, type: 'action', data: { action: 'set', vars } });
const http = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'action', data: { action: 'http', url: 'http://x/{{ input.path }}', ...extra } });
const edge = (source: string, target: string, extra: Record<string, unknown> = {}) => ({ id: `${source}-${target}-${String(extra.sourceHandle ?? '')}`, source, target, ...extra });

describe('interpreter', () => {
  it('routes by the first edge whose condition holds, else the default', async () => {
    const def: Definition = {
      nodes: [trigger, { id: 'c', type: 'condition', data: {} }, end('big', 'big'), end('mid', 'mid'), end('small', 'small')],
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
      edges: [edge('t', 'c'), edge('c', 'big', { condition: { field: 'input.n', operator: 'greater_than', value: 100 } })],
    };
    const outcome = await run(def, fakePort().port, { n: 1 });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('no route from node "c"');
  });

  it('forks on several unconditional edges and joins them with mode all', async () => {
    const { port, steps } = fakePort();
    const def: Definition = {
      nodes: [trigger, set('a', { a: 1 }), set('b', { b: 2 }), { id: 'j', type: 'join', data: { mode: 'all' } }, end('done', { a: '{{ vars.a }}', b: '{{ vars.b }}' })],
      edges: [edge('t', 'a'), edge('t', 'b'), edge('a', 'j'), edge('b', 'j'), edge('j', 'done')],
    };
    const outcome = await run(def, port);
    expect(outcome).toMatchObject({ status: 'completed', output: { a: 1, b: 2 } });
    expect(steps.filter((s) => s.nodeId === 'j')).toHaveLength(1);
    expect(steps.filter((s) => s.nodeId === 'done')).toHaveLength(1);
  });

  it('passes rendered config and a stable idempotency key to work, and records its step', async () => {
    const { port, requests, steps } = fakePort(() => ({ ok: true, output: { status: 201, body: { id: 9 } }, attempt: 2 }));
    const def: Definition = {
      configuration: { retry: { maximumAttempts: 5, initialInterval: '2s' } },
      nodes: [trigger, http('call', { method: 'POST', body: { n: '{{ input.n }}' }, timeout: '30s', retry: { maximumAttempts: 2 } }), end('e', '{{ nodes.call.output.body.id }}')],
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
    expect(await run(withEdge, fakePort(failing).port)).toMatchObject({ status: 'completed', output: { why: 'boom' } });
    const without: Definition = { nodes: [trigger, http('call'), end('ok')], edges: [edge('t', 'call'), edge('call', 'ok')] };
    const outcome = await run(without, fakePort(failing).port);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ nodeId: 'call' });
    expect(outcome.error?.message).toContain('"call"');
  });

  it('bounds cycles by maxNodeVisits', async () => {
    const def: Definition = {
      configuration: { maxNodeVisits: 5 },
      nodes: [trigger, set('again', { n: 1 }), { id: 'c', type: 'condition', data: {} }, end('never')],
      edges: [edge('t', 'again'), edge('again', 'c'), edge('c', 'again', { condition: { field: 'vars.n', operator: 'equals', value: 1 } }), edge('c', 'never', { isDefault: true })],
    };
    const outcome = await run(def, fakePort().port);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('more than 5 times');
    expect(outcome.visits.again).toBe(6);
  });

  it('ends the whole run at once at an end with status failed', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { port, steps } = fakePort(async () => {
      await slow;
      return { ok: true, output: {} };
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
