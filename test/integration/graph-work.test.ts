/**
 * A graph that stalls the worker (issue 10, item 6). Publish refuses a graph
 * whose worst case is over MAX_GRAPH_WORK, naming the nesting; a heavy graph
 * within it runs in short workflow tasks, so another tenant's trivial run is
 * not starved and a cancellation reaches the busy run at once.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphWork } from '../../interpreter/graph-work';
import type { Definition } from '../../interpreter/schema';
import { createHarness, eventually, type Harness } from '../harness';
import { nestedLoops } from '../support/graphs';

// Short histories: the busy run continues as new several times, so its later tasks re-run what it already did.
const HISTORY_LIMIT = 2000;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ RUN_HISTORY_LIMIT: String(HISTORY_LIMIT) });
});
afterAll(async () => {
  await h?.close();
});

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };

/** Two nested loops of pure work (a variable set, a condition), just under the default limit of 100,000 node runs. */
const busyGraph: Definition = {
  nodes: [
    trigger,
    { id: 'rows', type: 'loop', data: { forEach: 'input.rows', as: 'row', maxIterations: 150 } },
    { id: 'cells', type: 'loop', data: { forEach: 'input.cells', as: 'cell', maxIterations: 330 } },
    { id: 'note', type: 'action', data: { action: 'set', vars: { last: '{{ cell }}' } } },
    { id: 'even', type: 'condition', data: { condition: { field: 'index', operator: 'less_than', value: 165 } } },
    { id: 'end', type: 'end', data: { output: { last: '{{ vars.last }}' } } },
  ],
  edges: [
    { id: 'e1', source: 't', target: 'rows' },
    { id: 'e2', source: 'rows', sourceHandle: 'body', target: 'cells' },
    { id: 'e3', source: 'cells', sourceHandle: 'body', target: 'note' },
    { id: 'e4', source: 'note', target: 'even' },
    { id: 'e5', source: 'even', sourceHandle: 'true', target: 'cells' },
    { id: 'e6', source: 'even', sourceHandle: 'false', target: 'cells' },
    { id: 'e7', source: 'cells', sourceHandle: 'done', target: 'rows' },
    { id: 'e8', source: 'rows', sourceHandle: 'done', target: 'end' },
  ],
};

const trivialGraph: Definition = {
  nodes: [trigger, { id: 'end', type: 'end', data: { output: { ok: true } } }],
  edges: [{ id: 'e1', source: 't', target: 'end' }],
};

async function create(key: string, name: string, definition: Definition): Promise<string> {
  const res = await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name, definition } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function publishAndStart(key: string, name: string, definition: Definition, input: unknown): Promise<string> {
  const id = await create(key, name, definition);
  const published = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  const started = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input } });
  expect(started.statusCode, started.body).toBe(202);
  return started.json().runId as string;
}

async function executions(runId: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const execution of h.temporal.workflow.list({ query: `WorkflowId = "${runId}"` })) found.push(execution);
  return found;
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const ms = (t: Timestamp) => Number(String(t?.seconds ?? 0)) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** The longest workflow task (started to completed) in every history of a run id. */
async function longestWorkflowTask(runId: string): Promise<{ longest: number; tasks: number }> {
  let longest = 0;
  let tasks = 0;
  for (const execution of await executions(runId)) {
    const history = await h.temporal.workflow.getHandle(runId, execution.runId).fetchHistory();
    let started: number | undefined;
    for (const event of history.events ?? []) {
      if (event.workflowTaskStartedEventAttributes) started = ms(event.eventTime);
      // A task that failed or timed out is tried again: the task is the attempt that completed.
      if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) started = undefined;
      if (event.workflowTaskCompletedEventAttributes && started !== undefined) {
        tasks++;
        longest = Math.max(longest, ms(event.eventTime) - started);
        started = undefined;
      }
    }
  }
  return { longest, tasks };
}

async function stepCount(key: string, runId: string): Promise<number> {
  return ((await h.api(key, { method: 'GET', url: `/api/runs/${runId}` })).json().steps ?? []).length as number;
}

describe('a graph that stalls the worker', () => {
  it('refuses to publish 997 nested loops, naming the nesting, and writes nothing', async () => {
    const key = h.tenant.adminKey;
    const id = await create(key, 'Nested loops', nestedLoops(997, 2));
    const validated = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/validate` });
    expect(validated.json().valid).toBe(false);
    const res = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json().errors.find((e: { message: string }) => e.message.includes('MAX_GRAPH_WORK'));
    expect(problem).toEqual({
      path: 'nodes[998]',
      message: expect.stringContaining('nodes.l1 (maxIterations 2) > nodes.l2 (maxIterations 2) > '),
    });
    expect(problem.message).toContain('> nodes.l997 (maxIterations 2) > nodes.work');
    expect(validated.json().errors).toContainEqual(problem);
    const workflow = (await h.api(key, { method: 'GET', url: `/api/workflows/${id}` })).json();
    expect(workflow).toMatchObject({ status: 'draft', latestVersion: null });
  });

  it('refuses at publish by the configured MAX_GRAPH_WORK, not a fixed number', async () => {
    const key = h.tenant.adminKey;
    expect(h.config.maxGraphWork).toBe(100_000);
    const id = await create(key, 'Busy but allowed', busyGraph);
    const limit = h.config.maxGraphWork;
    h.config.maxGraphWork = 50_000;
    try {
      const res = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().errors[0].message).toContain('more than MAX_GRAPH_WORK (50,000)');
    } finally {
      h.config.maxGraphWork = limit;
    }
  });

  it('runs a busy graph in short workflow tasks: another tenant is not starved, and cancel stops it at once', async () => {
    const work = graphWork(busyGraph).total;
    expect(work).toBeGreaterThan(95_000);
    expect(work).toBeLessThanOrEqual(h.config.maxGraphWork);

    const key = h.tenant.adminKey;
    const busyRun = await publishAndStart(key, 'Busy', busyGraph, {
      rows: Array.from({ length: 150 }, (_, i) => i),
      cells: Array.from({ length: 330 }, (_, i) => i),
    });
    // Busy for a while: it has continued as new at least twice, so it also re-runs what it did before.
    await eventually(async () => (await executions(busyRun)).length >= 3, 200);

    // The starvation attack: another tenant's trivial run, beside the busy one on the same worker.
    const other = await h.newTenant();
    const trivialId = await create(other.adminKey, 'Trivial', trivialGraph);
    expect(
      (await h.api(other.adminKey, { method: 'POST', url: `/api/workflows/${trivialId}/publish` })).statusCode,
    ).toBe(201);
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const begun = Date.now();
      const started = await h.api(other.adminKey, {
        method: 'POST',
        url: `/api/workflows/${trivialId}/runs`,
        payload: { input: {} },
      });
      const result = await h.temporal.workflow.getHandle(started.json().runId).result();
      durations.push(Date.now() - begun);
      expect(result.status).toBe('completed');
    }
    // Starved, they took 4-7 s each; alone about 0.25 s. The middle of three is what is judged, with room for a
    // loaded two-core CI machine (seen: 230-736 ms, one outlier of 1.2 s while benchmarks ran beside the suite).
    const middle = [...durations].sort((a, b) => a - b)[1]!;
    expect(middle, `trivial runs took ${durations.join(', ')} ms`).toBeLessThan(1500);
    expect(Math.max(...durations), `trivial runs took ${durations.join(', ')} ms`).toBeLessThan(3000);
    expect((await h.temporal.workflow.getHandle(busyRun).describe()).status.name).toBe('RUNNING');

    // Cancel reaches the busy run within a few seconds.
    const before = await stepCount(key, busyRun);
    expect(before).toBeGreaterThan(1000);
    const asked = Date.now();
    const cancel = await h.api(key, { method: 'POST', url: `/api/runs/${busyRun}/cancel` });
    expect(cancel.statusCode, cancel.body).toBe(202);
    await h.temporal.workflow
      .getHandle(busyRun)
      .result()
      .catch(() => undefined);
    expect(Date.now() - asked).toBeLessThan(5000);
    const run = (await h.api(key, { method: 'GET', url: `/api/runs/${busyRun}` })).json();
    expect(run.status).toBe('cancelled');
    expect((await h.temporal.workflow.getHandle(busyRun).describe()).status.name).toBe('CANCELLED');

    // No workflow task of the busy run, in any of its histories, held the worker for long.
    const { longest, tasks } = await longestWorkflowTask(busyRun);
    expect(tasks).toBeGreaterThan(20);
    // Unpaced, one task ran over 5 s; paced, 300-680 ms were seen. The bound leaves room for a loaded machine.
    expect(longest, `longest workflow task ${longest} ms`).toBeLessThan(1500);
  }, 180_000);
});
