/**
 * The foundation's promise, end to end against the real Temporal dev server
 * and a real PostgreSQL (or the embedded one): define, publish, run, inspect.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowInstances, workflows, workflowVersions } from '../../db/schema';
import { RunStatusKey, VersionKey, WorkflowNameKey } from '../../workflows/search-attributes';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { createProjectionActivities } from '../../activities/projection';
import { Gate } from '../support/gate';
import { approvalDefinition, scoringDefinition } from '../support/graphs';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

let h: Harness;
let target: HttpTarget;

beforeAll(async () => {
  [h, target] = await Promise.all([createHarness(), startHttpTarget()]);
});
afterAll(async () => {
  await Promise.all([h?.close(), target?.close()]);
});

function scoringGraph(name: string) {
  return {
    name,
    definition: {
      inputSchema: {
        type: 'object',
        required: ['level', 'scorerUrl'],
        properties: { level: { type: 'string', enum: ['high', 'low'] }, scorerUrl: { type: 'string' } },
      },
      ...scoringDefinition('{{ input.scorerUrl }}'),
    },
  };
}

async function createAndPublish(key: string, body: object): Promise<string> {
  const created = await h.api(key, { method: 'POST', url: '/api/workflows', payload: body });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const published = await h.api(key, {
    method: 'POST',
    url: `/api/workflows/${id}/publish`,
    payload: { changeDescription: 'first' },
  });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}

async function startRun(key: string, workflowId: string, body: unknown, headers: Record<string, string> = {}) {
  return h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload: body as object, headers });
}

describe('a published graph runs end to end', () => {
  it('takes the branch its data chooses, with a row, output and duration for every step', async () => {
    const key = h.tenant.adminKey;
    target.answer('/score-high', 200, { score: 9 });
    target.answer('/score-low', 200, { score: 2 });
    const id = await createAndPublish(key, scoringGraph('Scoring'));

    const high = await startRun(key, id, { input: { level: 'high', scorerUrl: `${target.url}/score-high` } });
    const low = await startRun(key, id, { input: { level: 'low', scorerUrl: `${target.url}/score-low` } });
    expect(high.statusCode, high.body).toBe(202);
    expect(low.statusCode).toBe(202);
    const highRun = high.json().runId as string;
    const lowRun = low.json().runId as string;
    expect(high.json()).toMatchObject({ workflowId: id, version: 1 });
    await Promise.all([settled(h, highRun), settled(h, lowRun)]);

    const a = (await h.api(key, { method: 'GET', url: `/api/runs/${highRun}` })).json();
    const b = (await h.api(key, { method: 'GET', url: `/api/runs/${lowRun}` })).json();
    expect(a).toMatchObject({
      id: highRun,
      status: 'completed',
      progress: 100,
      currentSteps: [],
      output: { route: 'high', score: 9 },
      version: 1,
      triggerSource: 'manual',
    });
    expect(b).toMatchObject({ id: lowRun, status: 'completed', output: { route: 'low', note: 'score was 2' } });
    expect(a.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['start', 'prepare', 'score', 'check', 'high']);
    expect(b.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['start', 'prepare', 'score', 'check', 'low']);
    for (const step of [...a.steps, ...b.steps]) {
      expect(step.status).toBe('completed');
      expect(typeof step.durationMs).toBe('number');
      expect(step.completedAt).not.toBeNull();
    }
    const scoreStep = a.steps.find((s: { nodeId: string }) => s.nodeId === 'score');
    expect(scoreStep.output).toMatchObject({ status: 200, body: { score: 9 } });
    expect(scoreStep.input).toMatchObject({ method: 'POST', body: { level: 'high' } });
    expect(a.steps.find((s: { nodeId: string }) => s.nodeId === 'check')).toMatchObject({
      handle: 'true',
      output: true,
    });

    // The target saw one request per run, each with an idempotency key naming run, node and visit.
    const calls = target.received.filter((r) => r.url.startsWith('/score-'));
    expect(calls.map((c) => c.headers['idempotency-key']).sort()).toEqual(
      [`${highRun}:score:1`, `${lowRun}:score:1`].sort(),
    );
    expect(JSON.parse(calls.find((c) => c.url === '/score-high')!.body)).toEqual({ level: 'high' });

    // People find the run in the Temporal Web UI by workflow name, version and status.
    const described = await h.temporal.workflow.getHandle(highRun).describe();
    expect(described.typedSearchAttributes.get(WorkflowNameKey)).toBe('Scoring');
    expect(described.typedSearchAttributes.get(VersionKey)).toBe(1);
    expect(described.typedSearchAttributes.get(RunStatusKey)).toBe('completed');

    const list = (await h.api(key, { method: 'GET', url: `/api/runs?workflowId=${id}` })).json();
    expect(list.items.map((r: { id: string }) => r.id).sort()).toEqual([highRun, lowRun].sort());
  });

  it("follows a failing node's error edge, and fails the run naming the node when there is none", async () => {
    const key = h.tenant.adminKey;
    target.answer('/refuse', 400, { error: 'no' });
    const graph = (withErrorEdge: boolean) => ({
      name: withErrorEdge ? 'Handled failure' : 'Unhandled failure',
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          {
            id: 'call',
            type: 'action',
            data: {
              label: 'Call the refuser',
              action: 'http',
              method: 'POST',
              url: `${target.url}/refuse`,
              retry: { maximumAttempts: 2, initialInterval: '100ms' },
            },
          },
          { id: 'ok', type: 'end', data: { status: 'completed' } },
          ...(withErrorEdge
            ? [
                {
                  id: 'handled',
                  type: 'end',
                  data: { status: 'completed', output: { handled: '{{ nodes.call.error.message }}' } },
                },
              ]
            : []),
        ],
        edges: [
          { id: 'e1', source: 't', target: 'call' },
          { id: 'e2', source: 'call', target: 'ok' },
          ...(withErrorEdge ? [{ id: 'e3', source: 'call', sourceHandle: 'error', target: 'handled' }] : []),
        ],
      },
    });
    const handledId = await createAndPublish(key, graph(true));
    const unhandledId = await createAndPublish(key, graph(false));
    const handled = (await startRun(key, handledId, { input: {} })).json().runId as string;
    const unhandled = (await startRun(key, unhandledId, { input: {} })).json().runId as string;
    await Promise.all([settled(h, handled), settled(h, unhandled)]);

    const a = (await h.api(key, { method: 'GET', url: `/api/runs/${handled}` })).json();
    expect(a.status).toBe('completed');
    expect(a.output.handled).toContain('answered 400');
    expect(a.steps.find((s: { nodeId: string }) => s.nodeId === 'call')).toMatchObject({
      status: 'failed',
      handle: 'error',
    });

    const b = (await h.api(key, { method: 'GET', url: `/api/runs/${unhandled}` })).json();
    expect(b.status).toBe('failed');
    expect(b.error.message).toContain('"call"');
    expect(b.error.message).toContain('answered 400');
    expect(b.error.nodeId).toBe('call');
    // A 400 cannot be fixed by retrying: one request for each of the two runs, although each allows 2 attempts.
    expect(target.received.filter((r) => r.url === '/refuse')).toHaveLength(2);
  });

  it('records the attempts a failed step really took: all of them for a 503, one for a 400', async () => {
    const key = h.tenant.adminKey;
    target.answer('/unavailable', 503, { error: 'later' });
    target.answer('/refused', 400, { error: 'no' });
    const callOnce = (path: string) => ({
      name: `Attempts at ${path}`,
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          {
            id: 'call',
            type: 'action',
            data: {
              action: 'http',
              method: 'POST',
              url: `${target.url}${path}`,
              retry: { maximumAttempts: 3, initialInterval: '50ms' },
            },
          },
          { id: 'handled', type: 'end', data: { status: 'completed' } },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'call' },
          { id: 'e2', source: 'call', target: 'handled' },
          { id: 'e3', source: 'call', sourceHandle: 'error', target: 'handled' },
        ],
      },
    });
    const runs = await Promise.all(
      ['/unavailable', '/refused'].map(
        async (path) =>
          (await startRun(key, await createAndPublish(key, callOnce(path)), { input: {} })).json().runId as string,
      ),
    );
    await Promise.all(runs.map((runId) => settled(h, runId)));
    const attempts = await Promise.all(
      runs.map(async (runId) =>
        (await h.api(key, { method: 'GET', url: `/api/runs/${runId}` }))
          .json()
          .steps.find((s: { nodeId: string }) => s.nodeId === 'call'),
      ),
    );
    expect(attempts.map((step: { status: string; attempt: number }) => [step.status, step.attempt])).toEqual([
      ['failed', 3],
      ['failed', 1],
    ]);
    expect(target.received.filter((r) => r.url === '/unavailable')).toHaveLength(3);
  });

  it('pins each run to the version it starts with', async () => {
    const key = h.tenant.adminKey;
    const body = (label: string) => ({
      name: 'Pinned',
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          { id: 'end', type: 'end', data: { status: 'completed', output: { label } } },
        ],
        edges: [{ id: 'e1', source: 't', target: 'end' }],
      },
    });
    const id = await createAndPublish(key, body('first'));
    expect((await h.api(key, { method: 'PUT', url: `/api/workflows/${id}`, payload: body('second') })).statusCode).toBe(
      200,
    );
    const republished = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(republished.json().version).toBe(2);
    const unchanged = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(unchanged.statusCode).toBe(200);
    expect(unchanged.json()).toMatchObject({ version: 2, unchanged: true });

    const v1 = (await startRun(key, id, { input: {}, version: 1 })).json();
    const latest = (await startRun(key, id, { input: {} })).json();
    expect([v1.version, latest.version]).toEqual([1, 2]);
    await Promise.all([settled(h, v1.runId), settled(h, latest.runId)]);
    expect((await h.api(key, { method: 'GET', url: `/api/runs/${v1.runId}` })).json().output).toEqual({
      label: 'first',
    });
    expect((await h.api(key, { method: 'GET', url: `/api/runs/${latest.runId}` })).json().output).toEqual({
      label: 'second',
    });
  });

  it('starts one run per Idempotency-Key, and refuses the key with a different input', async () => {
    const key = h.tenant.adminKey;
    target.answer('/score-once', 200, { score: 1 });
    const id = await createAndPublish(key, scoringGraph('Once'));
    const body = { input: { level: 'low', scorerUrl: `${target.url}/score-once` } };
    const first = await startRun(key, id, body, { 'idempotency-key': 'order-42' });
    const again = await startRun(key, id, body, { 'idempotency-key': 'order-42' });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json().runId).toBe(first.json().runId);
    const different = await startRun(
      key,
      id,
      { input: { level: 'high', scorerUrl: `${target.url}/score-once` } },
      { 'idempotency-key': 'order-42' },
    );
    expect(different.statusCode).toBe(409);
    await settled(h, first.json().runId);
    expect(target.received.filter((r) => r.url === '/score-once')).toHaveLength(1);
  });
});

describe('the projection, written behind the run', () => {
  it('keeps the newest progress when an older write lands after it', async () => {
    const created = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: {
        name: 'Out of order',
        definition: approvalDefinition({ approverRoles: ['manager'], notify: { channels: [] } }),
      },
    });
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${created.json().id}/publish` });
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${created.json().id}/runs`, payload: {} })
    ).json().runId as string;
    const waiting = await eventually(
      async () =>
        (
          await h.database.db.select().from(workflowInstances).where(eq(workflowInstances.id, runId))
        )[0]?.currentSteps.includes('ask') &&
        (await h.database.db.select().from(workflowInstances).where(eq(workflowInstances.id, runId)))[0],
    );
    // Two writes of the same run arrive newest first, as concurrent local activities may deliver them.
    const { recordStep } = createProjectionActivities(h.database.db);
    const step = {
      seq: 99,
      nodeId: 'probe',
      nodeType: 'action',
      label: null,
      stepKey: 'probe:1',
      visit: 1,
      startedAt: Date.now(),
      status: 'running',
      handle: null,
      input: null,
      output: null,
      error: null,
      attempt: 1,
      completedAt: null,
    } as const;
    await recordStep({
      tenantId: h.tenant.tenantId,
      runId,
      step,
      progress: { progress: 60, currentSteps: ['newer'] },
      stamp: { at: waiting.progressAt + 1000, count: 1 },
    });
    await recordStep({
      tenantId: h.tenant.tenantId,
      runId,
      step,
      progress: { progress: 20, currentSteps: ['older'] },
      stamp: { at: waiting.progressAt + 500, count: 7 },
    });
    const row = (await h.database.db.select().from(workflowInstances).where(eq(workflowInstances.id, runId)))[0]!;
    expect({ progress: row.progress, currentSteps: row.currentSteps }).toEqual({
      progress: 60,
      currentSteps: ['newer'],
    });
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
    await settled(h, runId);
  });
});

describe('step records carried by the work', () => {
  const localActivities = async (runId: string) =>
    (await h.temporal.workflow.getHandle(runId).fetchHistory()).events!.filter(
      (event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length;
  /** The run's status and its steps, once it has ended. */
  const ended = async (runId: string) => {
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json() as {
      status: string;
      steps: Array<{ nodeId: string; status: string }>;
    };
    return { status: run.status, steps: run.steps.map((step) => [step.nodeId, step.status]) };
  };
  /** A target whose answers are held until the gate opens, for the test's length. */
  const withHeldTarget = async (test: (gate: Gate, slow: HttpTarget) => Promise<void>) => {
    const gate = new Gate();
    gate.close();
    const slow = await startHttpTarget(undefined, gate);
    try {
      await test(gate, slow);
    } finally {
      gate.open();
      await slow.close();
    }
  };
  const chain = (ids: string[], url: (id: string) => string) => ({
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      ...ids.map((id) => ({
        id,
        type: 'action',
        data: { action: 'http', method: 'POST', url: url(id), retry: { maximumAttempts: 1 } },
      })),
      { id: 'e', type: 'end', data: {} },
    ],
    // Every node goes on to the next, whether its call succeeds or fails.
    edges: ['t', ...ids].flatMap((source, i, all) => [
      { id: `e${i}`, source, target: all[i + 1] ?? 'e' },
      ...(i > 0 ? [{ id: `e${i}-error`, source, sourceHandle: 'error', target: all[i + 1] ?? 'e' }] : []),
    ]),
  });

  it('a run of five quick calls writes once, its start and every step with its end: one local activity', async () => {
    const id = await createAndPublish(h.tenant.adminKey, {
      name: 'Five calls',
      definition: chain(['s1', 's2', 's3', 's4', 's5'], () => `${target.url}/ok`),
    });
    const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
    expect(await ended(runId)).toEqual({
      status: 'completed',
      steps: ['t', 's1', 's2', 's3', 's4', 's5', 'e'].map((node) => [node, 'completed']),
    });
    expect(await localActivities(runId)).toBe(1);
  });

  it('a slow call writes the records it carries: the steps before it show while it runs', async () => {
    await withHeldTarget(async (gate, slow) => {
      const id = await createAndPublish(h.tenant.adminKey, {
        name: 'A slow call',
        definition: chain(['s1', 's2', 's3'], (node) => (node === 's2' ? `${slow.url}/slow` : `${target.url}/ok`)),
      });
      const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
      const seen = await eventually(async () => {
        const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json() as {
          status: string;
          steps: Array<{ nodeId: string; status: string }>;
        };
        return run.steps.some((step) => step.nodeId === 's1' && step.status === 'completed') && run;
      });
      // Written by the held call itself, about a second in: the run is still waiting on it.
      expect(gate.held).toBe(1);
      expect(seen.status).toBe('running');
      expect(seen.steps.find((step) => step.nodeId === 's2')?.status).toBe('running');
      gate.open();
      expect((await ended(runId)).status).toBe('completed');
      expect(await localActivities(runId)).toBe(1);
    });
  });

  it('a run paused before the start it carries is written stays paused', async () => {
    await withHeldTarget(async (gate, slow) => {
      const id = await createAndPublish(h.tenant.adminKey, {
        name: 'Paused while its first call runs',
        definition: chain(['s1', 's2'], (node) => (node === 's1' ? `${slow.url}/slow` : `${target.url}/ok`)),
      });
      const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
      const status = async () =>
        ((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json() as { status: string })
          .status;
      await eventually(async () => gate.held === 1);
      expect(await status()).toBe('pending');
      const paused = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/pause` });
      expect(paused.statusCode, paused.body).toBeLessThan(300);
      await eventually(async () => (await status()) === 'paused');
      // The held call writes the start it carries a second in: the row stays paused.
      await eventually(async () => {
        const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json() as {
          startedAt: string | null;
        };
        return run.startedAt !== null;
      });
      expect(await status()).toBe('paused');
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/resume` });
      gate.open();
      expect((await ended(runId)).status).toBe('completed');
    });
  });

  it('records that rode quick work for ten seconds are written by the run', { timeout: 30_000 }, async () => {
    // s2 is refused once and tried again ten and a half seconds later: its attempts are quick, so neither writes the
    // records it carries, and by the time s3 starts they are too old to ride again.
    let flakyCalls = 0;
    const flaky = await startHttpTarget(() =>
      ++flakyCalls === 1 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: { ok: true } },
    );
    try {
      const definition = chain(['s1', 's2', 's3'], (node) =>
        node === 's2' ? `${flaky.url}/flaky` : `${target.url}/ok`,
      );
      const s2 = definition.nodes.find((node) => node.id === 's2')!;
      Object.assign(s2.data, { retry: { maximumAttempts: 2, initialInterval: '10500ms' } });
      const id = await createAndPublish(h.tenant.adminKey, { name: 'Quick work for ten seconds', definition });
      const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
      expect(await ended(runId)).toEqual({
        status: 'completed',
        steps: ['t', 's1', 's2', 's3', 'e'].map((node) => [node, 'completed']),
      });
      expect(flakyCalls).toBe(2);
      // The start and the records too old to ride with s3, then the end.
      expect(await localActivities(runId)).toBe(2);
    } finally {
      await flaky.close();
    }
  });

  it('records too large to ride (a call answered with a large body) are written by the run', async () => {
    target.answer('/large', 200, { text: 'x'.repeat(20_000) });
    const id = await createAndPublish(h.tenant.adminKey, {
      name: 'A large answer',
      definition: chain(['large', 's2'], (node) => `${target.url}/${node === 'large' ? 'large' : 'ok'}`),
    });
    const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
    expect((await ended(runId)).status).toBe('completed');
    // The start and the large answer's record (not in s2's input), then the end.
    expect(await localActivities(runId)).toBe(2);
    const scheduled = (await h.temporal.workflow.getHandle(runId).fetchHistory()).events!.filter(
      (event) => event.activityTaskScheduledEventAttributes,
    );
    expect(JSON.stringify(scheduled).length).toBeLessThan(20_000);
  });

  it('records carried by a call the run never waited for are written by the run as it ends', async () => {
    // After the delay, one branch takes the delay's record with its call while the other ends the run in the same
    // workflow task: the call is never made, and the run's last batch writes what it carried.
    const id = await createAndPublish(h.tenant.adminKey, {
      name: 'A call left behind carries records',
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          { id: 'wait', type: 'delay', data: { duration: '50ms' } },
          { id: 'call', type: 'action', data: { action: 'http', method: 'POST', url: `${target.url}/ok` } },
          { id: 'late', type: 'end', data: {} },
          { id: 'then', type: 'action', data: { action: 'set', vars: { ended: true } } },
          { id: 'done', type: 'end', data: { status: 'cancelled' } },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'wait' },
          { id: 'e2', source: 'wait', target: 'call' },
          { id: 'e3', source: 'call', target: 'late' },
          { id: 'e4', source: 'wait', target: 'then' },
          { id: 'e5', source: 'then', target: 'done' },
        ],
      },
    });
    const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
    const run = await ended(runId);
    expect(run.status).toBe('cancelled');
    expect(run.steps).toContainEqual(['wait', 'completed']);
    expect(run.steps).toContainEqual(['done', 'completed']);
  });

  it('records carried by a call that failed are written by the run', async () => {
    const id = await createAndPublish(h.tenant.adminKey, {
      name: 'A failed call carries records',
      definition: chain(['s1', 'bad', 's3'], (node) => `${target.url}/${node === 'bad' ? 'refuse-carried' : 'ok'}`),
    });
    target.answer('/refuse-carried', 400, { error: 'refused' });
    const runId = (await startRun(h.tenant.adminKey, id, {})).json().runId as string;
    expect(await ended(runId)).toEqual({
      status: 'completed',
      steps: [
        ['t', 'completed'],
        ['s1', 'completed'],
        ['bad', 'failed'],
        ['s3', 'completed'],
        ['e', 'completed'],
      ],
    });
  });
});

describe('bad input is refused with every problem and writes nothing', () => {
  it('an invalid graph gets 422 listing every problem, and no version is written', async () => {
    const key = h.tenant.adminKey;
    const created = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: {
        name: 'Broken',
        definition: {
          nodes: [
            { id: 'a', type: 'action', data: { action: 'http' } },
            { id: 'a', type: 'teleport', data: {} },
            { id: 'c', type: 'condition', data: { condition: { field: 'input.x', operator: 'bigger', value: 1 } } },
            { id: 'd', type: 'end', data: { output: '{{ nodes.nowhere.output }}' } },
          ],
          edges: [
            { id: 'e1', source: 'a', target: 'missing' },
            { id: 'e2', source: 'c', target: 'd' },
          ],
        },
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const validation = (await h.api(key, { method: 'POST', url: `/api/workflows/${id}/validate` })).json();
    expect(validation.valid).toBe(false);

    const refused = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const problems = refused.json().errors as Array<{ path: string; message: string }>;
    expect(problems).toEqual(validation.errors);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'nodes[1].id',
        'nodes[1].type',
        'edges[0].target',
        'nodes',
        'nodes[0].data.url',
        'nodes[2].data.condition.operator',
        'nodes[3].data.output',
      ]),
    );
    for (const p of problems) expect(p.message.length).toBeGreaterThan(5);

    const versions = await h.database.db
      .select({ n: count() })
      .from(workflowVersions)
      .where(eq(workflowVersions.workflowId, id));
    expect(versions[0]!.n).toBe(0);
    expect((await h.api(key, { method: 'GET', url: `/api/workflows/${id}` })).json()).toMatchObject({
      status: 'draft',
      latestVersion: null,
    });
  });

  it('a malformed body gets 400 listing every problem, and nothing is written', async () => {
    const key = h.tenant.adminKey;
    const before = await h.database.db
      .select({ n: count() })
      .from(workflows)
      .where(eq(workflows.tenantId, h.tenant.tenantId));
    const res = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: '', definition: { nodes: 'none' }, colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body',
      'body.definition.edges',
      'body.definition.nodes',
      'body.name',
    ]);

    const notJson = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().errors).toHaveLength(1);
    const after = await h.database.db
      .select({ n: count() })
      .from(workflows)
      .where(eq(workflows.tenantId, h.tenant.tenantId));
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('run input that breaks the inputSchema gets 400 listing every problem, and no run starts', async () => {
    const key = h.tenant.adminKey;
    const id = await createAndPublish(key, scoringGraph('Schema'));
    const before = await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, id));
    const res = await startRun(key, id, { input: { level: 'medium' } });
    expect(res.statusCode).toBe(400);
    const errors = res.json().errors as Array<{ path: string; message: string }>;
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['input', 'input.level']));
    expect(errors.some((e) => e.message.includes('scorerUrl'))).toBe(true);
    const after = await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, id));
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("another tenant's ids answer 404, and its requests change nothing", async () => {
    const owner = h.tenant.adminKey;
    target.answer('/score-tenant', 200, { score: 7 });
    const id = await createAndPublish(owner, scoringGraph('Private'));
    const run = (
      await startRun(owner, id, { input: { level: 'high', scorerUrl: `${target.url}/score-tenant` } })
    ).json().runId as string;
    await settled(h, run);

    const other = await h.newTenant();
    const k = other.adminKey;
    const attempts = await Promise.all([
      h.api(k, { method: 'GET', url: `/api/workflows/${id}` }),
      h.api(k, { method: 'PUT', url: `/api/workflows/${id}`, payload: scoringGraph('Stolen') }),
      h.api(k, { method: 'POST', url: `/api/workflows/${id}/validate` }),
      h.api(k, { method: 'POST', url: `/api/workflows/${id}/publish` }),
      h.api(k, {
        method: 'POST',
        url: `/api/workflows/${id}/runs`,
        payload: { input: { level: 'high', scorerUrl: 'x' } },
      }),
      h.api(k, { method: 'GET', url: `/api/runs/${run}` }),
    ]);
    for (const res of attempts) {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await h.api(k, { method: 'GET', url: '/api/runs' })).json().items).toEqual([]);
    expect((await h.api(k, { method: 'GET', url: '/api/workflows' })).json().items).toEqual([]);
    const mine = (await h.api(owner, { method: 'GET', url: `/api/workflows/${id}` })).json();
    expect(mine).toMatchObject({ name: 'Private', latestVersion: 1 });
    const runs = await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, id));
    expect(runs[0]!.n).toBe(1);
  });
});
