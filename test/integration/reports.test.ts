/**
 * `GET /api/reports/workflows/:id`: every figure checked against hand-computed values on seeded projection rows
 * (percentile_cont interpolates: the p95 of 10, 20, 30, 40 s is 30 + 0.85 × 10 = 38.5 s), a real run counted as the
 * worker projected it, and the refusals: a bad range, another tenant's workflow, ids that name nothing.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
  workflowVersions,
  type RunStatus,
  type StepStatus,
} from '../../db/schema';
import { createHarness, settled, type Harness } from '../harness';

let h: Harness;
const T0 = Date.parse('2026-01-10T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const HOUR = 3600_000;
const RANGE = `from=${at(0).toISOString()}&to=${at(24 * HOUR).toISOString()}`;

const trivialGraph = {
  nodes: [
    { id: 'start', type: 'trigger', data: { label: 'Start', trigger: { type: 'manual' } } },
    { id: 'done', type: 'end', data: { label: 'Done', output: { ok: true } } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
};

async function publishedWorkflow(key: string, name: string): Promise<{ id: string; versionId: string }> {
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition: trivialGraph },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const published = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  const version = (
    await h.database.db
      .select({ id: workflowVersions.id })
      .from(workflowVersions)
      .where(eq(workflowVersions.workflowId, id))
  )[0]!;
  return { id, versionId: version.id };
}

interface SeededRun {
  status: RunStatus;
  createdAt: number;
  durationMs?: number;
}

let workflow: { id: string; versionId: string };
let approverA: string;
let approverB: string;

async function seedRun(target: { id: string; versionId: string }, run: SeededRun): Promise<string> {
  const id = `seeded-${randomUUID()}`;
  await h.database.db.insert(workflowInstances).values({
    id,
    tenantId: h.tenant.tenantId,
    workflowId: target.id,
    workflowVersionId: target.versionId,
    version: 1,
    status: run.status,
    createdAt: at(run.createdAt),
    startedAt: at(run.createdAt),
    completedAt: run.durationMs === undefined ? null : at(run.createdAt + run.durationMs),
  });
  return id;
}

async function seedStep(
  runId: string,
  step: { nodeId: string; label: string; seq: number; status: StepStatus; durationMs?: number; startedAt: number },
) {
  await h.database.db.insert(workflowExecutions).values({
    id: `${runId}:${step.nodeId}:1`,
    tenantId: h.tenant.tenantId,
    instanceId: runId,
    nodeId: step.nodeId,
    nodeType: 'action',
    label: step.label,
    seq: step.seq,
    status: step.status,
    startedAt: at(step.startedAt),
    durationMs: step.durationMs ?? null,
  });
}

async function seedApproval(runId: string, approval: { status: string; waitedMs?: number; decidedBy?: string }) {
  await h.database.db.insert(workflowApprovals).values({
    tenantId: h.tenant.tenantId,
    instanceId: runId,
    nodeId: 'ask',
    status: approval.status,
    outcome: approval.status === 'pending' ? null : approval.status,
    requestedAt: at(HOUR),
    respondedAt: approval.waitedMs === undefined ? null : at(HOUR + approval.waitedMs),
    decidedBy: approval.decidedBy ?? null,
  });
}

beforeAll(async () => {
  h = await createHarness();
  const key = h.tenant.adminKey;
  workflow = await publishedWorkflow(key, 'Reported');
  approverA = (await h.newUser(h.tenant, ['manager'])).userId;
  approverB = (await h.newUser(h.tenant, ['manager'])).userId;

  // In the range: two completed (10 s, 20 s), one failed (40 s), one cancelled (30 s), one still running.
  const r1 = await seedRun(workflow, { status: 'completed', createdAt: HOUR, durationMs: 10_000 });
  const r2 = await seedRun(workflow, { status: 'completed', createdAt: 2 * HOUR, durationMs: 20_000 });
  const r3 = await seedRun(workflow, { status: 'failed', createdAt: 3 * HOUR, durationMs: 40_000 });
  const r4 = await seedRun(workflow, { status: 'cancelled', createdAt: 4 * HOUR, durationMs: 30_000 });
  const r5 = await seedRun(workflow, { status: 'running', createdAt: 5 * HOUR });
  // Outside it: a day before, and exactly at `to` (the range is half-open).
  const before = await seedRun(workflow, { status: 'completed', createdAt: -24 * HOUR, durationMs: 999_000 });
  const atEnd = await seedRun(workflow, { status: 'failed', createdAt: 24 * HOUR, durationMs: 5_000 });
  // Another workflow of the tenant, in the range: not this report's.
  const other = await publishedWorkflow(key, 'Not reported');
  const elsewhere = await seedRun(other, { status: 'failed', createdAt: HOUR, durationMs: 1_000 });

  const runs = [r1, r2, r3, r4, r5];
  for (const [n, runId] of runs.entries())
    await seedStep(runId, {
      nodeId: 'start',
      label: 'Start',
      seq: 0,
      status: 'completed',
      durationMs: 100 * (n + 1),
      startedAt: HOUR,
    });
  // `work`: 1 s, 3 s, a failure of 2 s, and a skip (not an execution); its newest label is its name.
  await seedStep(r1, {
    nodeId: 'work',
    label: 'Old name',
    seq: 1,
    status: 'completed',
    durationMs: 1000,
    startedAt: HOUR,
  });
  await seedStep(r2, {
    nodeId: 'work',
    label: 'Do the work',
    seq: 1,
    status: 'completed',
    durationMs: 3000,
    startedAt: 3 * HOUR,
  });
  await seedStep(r3, {
    nodeId: 'work',
    label: 'Old name',
    seq: 1,
    status: 'failed',
    durationMs: 2000,
    startedAt: 2 * HOUR,
  });
  await seedStep(r4, { nodeId: 'work', label: 'Old name', seq: 1, status: 'skipped', startedAt: HOUR });
  // `ask`: 5 s, 7 s, and one still waiting (no duration yet).
  await seedStep(r1, { nodeId: 'ask', label: 'Ask', seq: 2, status: 'completed', durationMs: 5000, startedAt: HOUR });
  await seedStep(r2, { nodeId: 'ask', label: 'Ask', seq: 2, status: 'completed', durationMs: 7000, startedAt: HOUR });
  await seedStep(r5, { nodeId: 'ask', label: 'Ask', seq: 2, status: 'waiting_approval', startedAt: HOUR });
  for (const runId of [before, atEnd, elsewhere])
    await seedStep(runId, {
      nodeId: 'work',
      label: 'Elsewhere',
      seq: 1,
      status: 'failed',
      durationMs: 60_000,
      startedAt: HOUR,
    });

  // Decisions: A in 60 s and 180 s, B in 120 s; one pending; one expired (no decision); one outside the range.
  await seedApproval(r1, { status: 'approved', waitedMs: 60_000, decidedBy: approverA });
  await seedApproval(r2, { status: 'rejected', waitedMs: 180_000, decidedBy: approverA });
  await seedApproval(r3, { status: 'approved', waitedMs: 120_000, decidedBy: approverB });
  await seedApproval(r5, { status: 'pending' });
  await seedApproval(r4, { status: 'expired', waitedMs: HOUR });
  await seedApproval(before, { status: 'approved', waitedMs: 1000, decidedBy: approverB });
});
afterAll(async () => {
  await h?.close();
});

const report = (key: string, workflowId: string, query = RANGE) =>
  h.api(key, { method: 'GET', url: `/api/reports/workflows/${workflowId}?${query}` });

describe('a workflow report', () => {
  it('gives every figure of known runs: counts, success rate, percentiles, nodes and approvals', async () => {
    const res = await report(h.tenant.adminKey, workflow.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      workflowId: workflow.id,
      from: at(0).toISOString(),
      to: at(24 * HOUR).toISOString(),
      runs: {
        total: 5,
        byStatus: { pending: 0, running: 1, paused: 0, completed: 2, failed: 1, cancelled: 1 },
      },
      successRate: 0.5,
      duration: { p50: 25_000, p95: 38_500 },
      nodes: [
        { nodeId: 'start', label: 'Start', executions: 5, failures: 0, duration: { p50: 300, p95: 480 } },
        { nodeId: 'work', label: 'Do the work', executions: 3, failures: 1, duration: { p50: 2000, p95: 2900 } },
        { nodeId: 'ask', label: 'Ask', executions: 3, failures: 0, duration: { p50: 6000, p95: 6900 } },
      ],
      approvals: {
        decided: 3,
        pending: 1,
        timeToDecision: { p50: 120_000, p95: 174_000 },
        byApprover: [
          {
            approver: approverA,
            email: expect.stringMatching(/@example\.com$/),
            decided: 2,
            timeToDecision: { p50: 120_000, p95: 174_000 },
          },
          {
            approver: approverB,
            email: expect.stringMatching(/@example\.com$/),
            decided: 1,
            timeToDecision: { p50: 120_000, p95: 120_000 },
          },
        ],
      },
    });
  });

  it('answers zeros and nulls for a range with no runs, never a division by zero', async () => {
    const res = await report(h.tenant.adminKey, workflow.id, 'from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      runs: { total: 0 },
      successRate: null,
      duration: { p50: null, p95: null },
      nodes: [],
      approvals: { decided: 0, pending: 0, timeToDecision: { p50: null, p95: null }, byApprover: [] },
    });
  });

  it('counts a real run as the worker projected it', async () => {
    const key = h.tenant.adminKey;
    const real = await publishedWorkflow(key, 'Really run');
    const started = await h.api(key, { method: 'POST', url: `/api/workflows/${real.id}/runs`, payload: { input: {} } });
    expect(started.statusCode, started.body).toBe(202);
    await settled(h, started.json().runId as string);
    const res = await h.api(key, { method: 'GET', url: `/api/reports/workflows/${real.id}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.runs).toMatchObject({ total: 1, byStatus: { completed: 1 } });
    expect(body.successRate).toBe(1);
    expect(body.duration.p50).toBeGreaterThanOrEqual(0);
    expect(body.nodes.map((n: { nodeId: string; executions: number }) => [n.nodeId, n.executions])).toEqual([
      ['start', 1],
      ['done', 1],
    ]);
  });

  it('is readable by a viewer', async () => {
    const viewer = await h.newUser(h.tenant, ['viewer']);
    expect((await report(viewer.key, workflow.id)).statusCode).toBe(200);
  });
});

describe('the overview', () => {
  it('gives the totals of every workflow of the tenant, and each workflow with runs in the range', async () => {
    const res = await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/reports/overview?${RANGE}` });
    expect(res.statusCode, res.body).toBe(200);
    const byStatus = (counts: Partial<Record<string, number>>) => ({
      pending: 0,
      running: 0,
      paused: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      ...counts,
    });
    expect(res.json()).toEqual({
      from: at(0).toISOString(),
      to: at(24 * HOUR).toISOString(),
      // Both workflows: durations 1, 10, 20, 30, 40 s; p95 = 30 + 0.8 × 10 s.
      totals: {
        runs: { total: 6, byStatus: byStatus({ running: 1, completed: 2, failed: 2, cancelled: 1 }) },
        successRate: 0.4,
        duration: { p50: 20_000, p95: 38_000 },
      },
      workflows: [
        {
          workflowId: workflow.id,
          name: 'Reported',
          runs: { total: 5, byStatus: byStatus({ running: 1, completed: 2, failed: 1, cancelled: 1 }) },
          successRate: 0.5,
          duration: { p50: 25_000, p95: 38_500 },
        },
        {
          workflowId: expect.any(String),
          name: 'Not reported',
          runs: { total: 1, byStatus: byStatus({ failed: 1 }) },
          successRate: 0,
          duration: { p50: 1000, p95: 1000 },
        },
      ],
    });
  });

  it("shows another tenant none of this tenant's runs", async () => {
    const stranger = await h.newTenant();
    const res = await h.api(stranger.adminKey, { method: 'GET', url: `/api/reports/overview?${RANGE}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ totals: { runs: { total: 0 }, successRate: null }, workflows: [] });
  });

  it('refuses a reversed range with 400', async () => {
    const res = await h.api(h.tenant.adminKey, {
      method: 'GET',
      url: '/api/reports/overview?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('querystring.from');
  });
});

describe('refusals', () => {
  it("answers 404 for another tenant's workflow, and shows none of its figures", async () => {
    const stranger = await h.newTenant();
    const res = await report(stranger.adminKey, workflow.id);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toContain('runs');
  });

  it('answers 404 for a workflow that does not exist, 400 for an id that is not a UUID', async () => {
    expect((await report(h.tenant.adminKey, randomUUID())).statusCode).toBe(404);
    const bad = await report(h.tenant.adminKey, 'not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('params.id');
  });

  it('refuses an empty or reversed range with 400 naming from', async () => {
    for (const query of [
      'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      'from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    ]) {
      const res = await report(h.tenant.adminKey, workflow.id, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors).toEqual([{ path: 'querystring.from', message: expect.stringContaining('before') }]);
    }
  });

  it('refuses a range that is not ISO 8601, out of PostgreSQL years, or an unknown parameter, with 400', async () => {
    for (const query of [
      'from=yesterday',
      'to=10000-01-01T00:00:00Z',
      'from=2026-01-01',
      'clientX=1',
      "to=1' or 1=1",
    ]) {
      const res = await report(h.tenant.adminKey, workflow.id, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('refuses a caller without a key', async () => {
    const res = await h.app.inject({ method: 'GET', url: `/api/reports/workflows/${workflow.id}` });
    expect(res.statusCode).toBe(401);
  });
});
