/**
 * Approvals decided through the API, pause and resume, cancellation,
 * subworkflows, run timeouts and the audit trail, on the real servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled, type TenantFixture } from '../harness';
import { eq } from 'drizzle-orm';
import { workflowApprovals } from '../../db/schema';

let h: Harness;
let requester: { userId: string; key: string };
let managers: Array<{ userId: string; key: string }>;

beforeAll(async () => {
  h = await createHarness();
  // The requester is a manager too: the rule against deciding one's own request must still refuse them.
  requester = await h.newUser(h.tenant, ['operator', 'manager']);
  managers = [
    await h.newUser(h.tenant, ['manager']),
    await h.newUser(h.tenant, ['manager']),
    await h.newUser(h.tenant, ['manager']),
  ];
});
afterAll(async () => {
  await h?.close();
});

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };

async function publish(tenant: TenantFixture, name: string, definition: object): Promise<string> {
  const id = (
    await h.api(tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id;
  const published = await h.api(tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}

function approvalGraph(data: Record<string, unknown>, extra: { configuration?: object } = {}) {
  return {
    ...extra,
    nodes: [
      trigger,
      {
        id: 'ask',
        type: 'approval',
        data: {
          label: 'Manager approves',
          approverRoles: ['manager'],
          expiresIn: '1h',
          message: 'Buy {{ input.item }}?',
          ...data,
        },
      },
      { id: 'after', type: 'action', data: { action: 'set', vars: { seen: true } } },
      { id: 'yes', type: 'end', data: { output: { outcome: 'approved', by: '{{ nodes.ask.output.decidedBy }}' } } },
      { id: 'no', type: 'end', data: { output: { outcome: 'rejected' } } },
      { id: 'late', type: 'end', data: { output: { outcome: 'expired' } } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'ask' },
      { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'after' },
      { id: 'e3', source: 'after', target: 'yes' },
      { id: 'e4', source: 'ask', sourceHandle: 'rejected', target: 'no' },
      { id: 'e5', source: 'ask', sourceHandle: 'expired', target: 'late' },
    ],
  };
}

async function startAndAwaitApproval(workflowId: string) {
  const run = await h.api(requester.key, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input: { item: 'a laptop' } },
  });
  expect(run.statusCode, run.body).toBe(202);
  const runId = run.json().runId as string;
  const approval = await eventually(
    async () =>
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
  );
  return { runId, approvalId: approval.id as string };
}

const decide = (key: string, approvalId: string, decision: string, headers: Record<string, string> = {}) =>
  h.api(key, {
    method: 'POST',
    url: `/api/approvals/${approvalId}/decision`,
    payload: { decision, comment: `${decision} by test` },
    headers,
  });

describe('approvals through the API', () => {
  it('refuses the wrong role, the requester and another tenant; records one decision per idempotency key; the run takes the approved edge', async () => {
    const wf = await publish(h.tenant, 'Single approval', approvalGraph({}));
    const { runId, approvalId } = await startAndAwaitApproval(wf);

    const inbox = (
      await h.api(managers[0]!.key, { method: 'GET', url: '/api/approvals?status=pending&mine=true' })
    ).json();
    expect(inbox.items.map((a: { id: string }) => a.id)).toContain(approvalId);
    const shown = (await h.api(managers[0]!.key, { method: 'GET', url: `/api/approvals/${approvalId}` })).json();
    expect(shown).toMatchObject({
      status: 'pending',
      message: 'Buy a laptop?',
      label: 'Manager approves',
      canDecide: true,
      run: { id: runId, workflowName: 'Single approval' },
    });
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` }))
        .json()
        .steps.find((s: { nodeId: string }) => s.nodeId === 'ask').status,
    ).toBe('waiting_approval');

    const viewer = await h.newUser(h.tenant, ['viewer']);
    expect((await decide(viewer.key, approvalId, 'approve')).statusCode).toBe(403);
    const self = await decide(requester.key, approvalId, 'approve');
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toContain('requester');
    const stranger = await h.newTenant();
    expect((await decide(stranger.adminKey, approvalId, 'approve')).statusCode).toBe(404);
    expect((await decide(managers[0]!.key, approvalId, 'maybe')).statusCode).toBe(400);

    const first = await decide(managers[0]!.key, approvalId, 'approve', { 'idempotency-key': 'click-1' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'approved', outcome: 'approved' });
    const repeat = await decide(managers[0]!.key, approvalId, 'approve', { 'idempotency-key': 'click-1' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual(first.json());
    const late = await decide(managers[1]!.key, approvalId, 'reject');
    expect(late.statusCode).toBe(409);

    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run).toMatchObject({ status: 'completed', output: { outcome: 'approved', by: managers[0]!.userId } });
    expect(run.approvals).toHaveLength(1);
    expect(run.approvals[0]).toMatchObject({ status: 'approved', outcome: 'approved', decidedBy: managers[0]!.userId });
    expect(run.approvals[0].votes).toHaveLength(1);
  });

  it('quorum 2 of 3: the second approval decides, the same user twice is refused, and one rejection rejects', async () => {
    const wf = await publish(h.tenant, 'Quorum', approvalGraph({ quorum: 2 }));
    const a = await startAndAwaitApproval(wf);
    expect((await decide(managers[0]!.key, a.approvalId, 'approved')).json()).toMatchObject({
      status: 'pending',
      votes: [{ userId: managers[0]!.userId }],
    });
    const twice = await decide(managers[0]!.key, a.approvalId, 'approved');
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toContain('already voted');
    expect((await decide(managers[1]!.key, a.approvalId, 'approved')).json()).toMatchObject({ status: 'approved' });
    await settled(h, a.runId);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${a.runId}` })).json().output.outcome).toBe(
      'approved',
    );

    const b = await startAndAwaitApproval(wf);
    await decide(managers[0]!.key, b.approvalId, 'approved');
    expect((await decide(managers[2]!.key, b.approvalId, 'rejected')).json()).toMatchObject({ status: 'rejected' });
    await settled(h, b.runId);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${b.runId}` })).json().output.outcome).toBe(
      'rejected',
    );
  });

  it('no decision in time leaves by expired, marks the approval expired, and a late decision gets 409', async () => {
    const wf = await publish(h.tenant, 'Expiring', approvalGraph({ expiresIn: '1s' }));
    const { runId, approvalId } = await startAndAwaitApproval(wf);
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.output).toEqual({ outcome: 'expired' });
    expect(run.approvals[0].status).toBe('expired');
    const late = await decide(managers[0]!.key, approvalId, 'approve');
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toContain('application/problem+json');
  });
});

describe('run control', () => {
  it('pause holds the next node until resume; the state query shows it', async () => {
    const wf = await publish(h.tenant, 'Pausable', approvalGraph({}));
    const { runId, approvalId } = await startAndAwaitApproval(wf);
    expect((await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/pause` })).statusCode).toBe(202);
    await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json().status === 'paused',
    );
    expect((await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/pause` })).statusCode).toBe(409);

    await decide(managers[0]!.key, approvalId, 'approve');
    // The approval step completes, but `after` does not start while the run is paused.
    await eventually(async () =>
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` }))
        .json()
        .steps.find((s: { nodeId: string; status: string }) => s.nodeId === 'ask' && s.status === 'completed'),
    );
    const state = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/state` })).json();
    expect(state).toMatchObject({ status: 'paused', finished: false });
    expect(state.visits.after).toBeUndefined();
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` }))
        .json()
        .steps.map((s: { nodeId: string }) => s.nodeId),
    ).not.toContain('after');

    expect((await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/resume` })).statusCode).toBe(202);
    await settled(h, runId);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json()).toMatchObject({
      status: 'completed',
      output: { outcome: 'approved' },
    });
  });

  it('cancel stops a waiting run: status cancelled, its approval recorded cancelled, a late decision told so, and cancelling again is 409', async () => {
    const wf = await publish(h.tenant, 'Cancellable', approvalGraph({}));
    const { runId } = await startAndAwaitApproval(wf);
    expect((await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/cancel` })).statusCode).toBe(202);
    await settled(h, runId);
    expect((await h.temporal.workflow.getHandle(runId).describe()).status.name).toBe('CANCELLED');
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('cancelled');
    expect(run.approvals[0].status).toBe('cancelled');
    const late = await h.api(managers[0]!.key, {
      method: 'POST',
      url: `/api/approvals/${run.approvals[0].id}/decision`,
      payload: { decision: 'approve' },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({
      status: 409,
      approvalStatus: 'cancelled',
      detail: expect.stringContaining('run was cancelled'),
    });
    expect((await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/cancel` })).statusCode).toBe(409);
    const pending = (
      await h.api(managers[0]!.key, { method: 'GET', url: '/api/approvals?status=pending&mine=true' })
    ).json().items;
    expect(pending.map((a: { runId: string }) => a.runId)).not.toContain(runId);
  });

  it('records a custom outcome as itself, in the answer, the approval and the inbox filter, and takes its edge', async () => {
    const graph = approvalGraph({ outcomes: ['approved', 'changes_requested'] });
    graph.nodes.push({ id: 'revise', type: 'end', data: { output: { outcome: 'changes_requested' } } });
    graph.nodes = graph.nodes.filter((n) => n.id !== 'no');
    graph.edges = graph.edges.filter((e) => e.sourceHandle !== 'rejected');
    graph.edges.push({ id: 'e6', source: 'ask', sourceHandle: 'changes_requested', target: 'revise' });
    const wf = await publish(h.tenant, 'Custom outcome', graph);
    const { runId, approvalId } = await startAndAwaitApproval(wf);
    const decided = await decide(managers[0]!.key, approvalId, 'changes_requested');
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'changes_requested', outcome: 'changes_requested' });
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run).toMatchObject({ status: 'completed', output: { outcome: 'changes_requested' } });
    expect(run.approvals[0]).toMatchObject({ status: 'changes_requested' });
    const listed = (
      await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?status=changes_requested&runId=${runId}` })
    ).json().items;
    expect(listed.map((a: { id: string }) => a.id)).toEqual([approvalId]);
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/approvals?status=Not-A-Status' })).statusCode,
    ).toBe(400);
  });

  it('writes an approval closed only once its decision is in the history, and decides an approval the run still waits on whatever its row says', async () => {
    const wf = await publish(h.tenant, 'Decision after commit', approvalGraph({}));
    const { runId, approvalId } = await startAndAwaitApproval(wf);
    // A row closed by a decision the run then lost (a workflow task that never completed): the run still waits.
    await h.database.db
      .update(workflowApprovals)
      .set({ status: 'approved' })
      .where(eq(workflowApprovals.id, approvalId));
    const decided = await decide(managers[0]!.key, approvalId, 'approve');
    expect(decided.statusCode, decided.body).toBe(200);
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run).toMatchObject({ status: 'completed', output: { outcome: 'approved' } });
    // The closing is a regular activity scheduled after the Update was accepted, not a local activity inside its task.
    const events = (await h.temporal.workflow.getHandle(runId).fetchHistory()).events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const closing = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordApprovalClosed',
    );
    expect(accepted).toBeGreaterThan(0);
    expect(closing).toBeGreaterThan(accepted);
  });

  it('fails a run that passes its configuration.timeout, naming the limit', async () => {
    const wf = await publish(h.tenant, 'Timed', approvalGraph({}, { configuration: { timeout: '1s' } }));
    const { runId } = await startAndAwaitApproval(wf);
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('timeout of 1s');
  });

  it('retry starts a new run with the same input and version; history lists the audit trail in order', async () => {
    const wf = await publish(h.tenant, 'Retried', approvalGraph({}));
    const { runId, approvalId } = await startAndAwaitApproval(wf);
    await decide(managers[0]!.key, approvalId, 'reject');
    await settled(h, runId);
    const history = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/history` })).json();
    const types = history.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('run.started');
    expect(types[types.length - 1]).toBe('run.completed');
    expect(types.indexOf('approval.requested')).toBeLessThan(types.indexOf('approval.rejected'));
    const times = history.events.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);

    const retried = await h.api(requester.key, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ retryOf: runId, version: 1 });
    const again = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${retried.json().runId}` })).json();
    expect(again.input).toEqual({ item: 'a laptop' });
    await h.temporal.workflow.getHandle(retried.json().runId).cancel();
  });
});

describe('subworkflows', () => {
  it('runs another published workflow as a child and uses its output; wait: false starts it and moves on', async () => {
    const child = await publish(h.tenant, 'Child', {
      nodes: [trigger, { id: 'e', type: 'end', data: { output: { greeting: 'hello {{ input.who }}' } } }],
      edges: [{ id: 'e1', source: 't', target: 'e' }],
    });
    const parent = await publish(h.tenant, 'Parent', {
      nodes: [
        trigger,
        { id: 'call', type: 'subworkflow', data: { workflowId: child, input: { who: '{{ input.name }}' } } },
        { id: 'fire', type: 'subworkflow', data: { workflowId: child, wait: false, input: { who: 'nobody' } } },
        {
          id: 'e',
          type: 'end',
          data: { output: { said: '{{ nodes.call.output.greeting }}', started: '{{ nodes.fire.output.runId }}' } },
        },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'fire' },
        { id: 'e3', source: 'fire', target: 'e' },
      ],
    });
    const runId = (
      await h.api(requester.key, {
        method: 'POST',
        url: `/api/workflows/${parent}/runs`,
        payload: { input: { name: 'Ada' } },
      })
    ).json().runId;
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status, JSON.stringify(run.error)).toBe('completed');
    expect(run.output.said).toBe('hello Ada');
    const childRuns = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${child}` })).json()
      .items;
    expect(childRuns.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([`${runId}~call:1`, run.output.started]),
    );
  });
});
