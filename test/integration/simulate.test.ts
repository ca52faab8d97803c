/** POST /api/workflows/:id/simulate: a dry run on a simulated clock that sends, stores and starts nothing. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowApprovals, workflowExecutions, workflowInstances, workflowNotifications } from '../../db/schema';
import { createHarness, type Harness } from '../harness';
import { startHttpTarget, type HttpTarget } from '../support/http-target';

let h: Harness;
let target: HttpTarget;
beforeAll(async () => {
  h = await createHarness();
  target = await startHttpTarget();
});
afterAll(async () => {
  await target?.close();
  await h?.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = '2026-03-02T09:00:00.000Z';

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const end = (id: string, output?: unknown) => ({ id, type: 'end', data: output === undefined ? {} : { output } });
const edge = (source: string, target: string, sourceHandle?: string) => ({
  id: `${source}-${sourceHandle ?? 'out'}-${target}`,
  source,
  target,
  ...(sourceHandle ? { sourceHandle } : {}),
});

/** Saves a draft; answers its id. */
async function draft(definition: unknown, key = h.tenant.adminKey): Promise<string> {
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name: 'Simulated', definition },
  });
  expect(created.statusCode).toBe(201);
  return created.json().id;
}

const simulate = (id: string, payload: unknown, key = h.tenant.adminKey) =>
  h.api(key, { method: 'POST', url: `/api/workflows/${id}/simulate`, payload: payload as object });

/** An order: the amount is checked, a review may send it back for changes, the ERP is told, a wait before closing. */
const order = (url: string) => ({
  inputSchema: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
  nodes: [
    trigger,
    {
      id: 'review',
      type: 'approval',
      data: {
        approverRoles: ['manager'],
        outcomes: ['approved', 'changes_requested'],
        expiresIn: '3d',
        reminderEvery: '1d',
      },
    },
    {
      id: 'revise',
      type: 'approval',
      data: {
        approverRoles: ['requester'],
        outcomes: ['resubmitted'],
        form: { properties: { note: { type: 'string', maxLength: 100 } }, required: ['note'] },
      },
    },
    { id: 'erp', type: 'action', data: { action: 'http', method: 'POST', url: `${url}/erp`, body: { a: 1 } } },
    { id: 'cool_off', type: 'delay', data: { duration: '3d' } },
    end('done', { note: '{{ nodes.revise.output.data.note }}', status: '{{ nodes.erp.output.status }}' }),
    end('erp_down', { failed: '{{ nodes.erp.error.message }}' }),
    end('late', 'expired'),
  ],
  edges: [
    edge('t', 'review'),
    edge('review', 'revise', 'changes_requested'),
    edge('revise', 'review', 'resubmitted'),
    edge('review', 'erp', 'approved'),
    edge('review', 'late', 'expired'),
    edge('erp', 'cool_off'),
    edge('erp', 'erp_down', 'error'),
    edge('cool_off', 'done'),
  ],
});

describe('simulate', () => {
  it('walks an approval cycle with a decision per visit, carrying the form data, and passes a 3-day delay', async () => {
    const id = await draft(order(target.url));
    const answer = await simulate(id, {
      input: { amount: 1200 },
      startAt: START,
      decisions: { review: ['changes_requested', { outcome: 'approved', after: '2h' }], revise: 'resubmitted' },
      data: { revise: { note: 'split into two orders' } },
    });
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(report).toMatchObject({
      status: 'completed',
      version: null,
      output: { note: 'split into two orders', status: 200 },
      elapsedMs: 2 * HOUR + 3 * DAY,
      waits: [],
    });
    expect(report.path.map((p: { nodeId: string; visit: number }) => `${p.nodeId}:${p.visit}`)).toEqual([
      't:1',
      'review:1',
      'revise:1',
      'review:2',
      'erp:1',
      'cool_off:1',
      'done:1',
    ]);
    const at = (nodeId: string) => report.path.find((p: { nodeId: string }) => p.nodeId === nodeId).at;
    expect(at('erp')).toBe(new Date(Date.parse(START) + 2 * HOUR).toISOString());
    expect(at('done')).toBe(new Date(Date.parse(START) + 2 * HOUR + 3 * DAY).toISOString());
    expect(report.path.find((p: { nodeId: string }) => p.nodeId === 'erp').answer).toBe('default');
  });

  it('expires an approval nobody decides, reminding daily on the simulated clock', async () => {
    const id = await draft(order(target.url));
    const report = (await simulate(id, { input: { amount: 5 }, startAt: START })).json();
    expect(report).toMatchObject({ status: 'completed', output: 'expired', elapsedMs: 3 * DAY });
    expect(report.events.map((e: { kind: string; elapsedMs: number }) => `${e.kind}@${e.elapsedMs / DAY}d`)).toEqual([
      'asked@0d',
      'reminded@1d',
      'reminded@2d',
      'expired@3d',
    ]);
  });

  it('takes the error branch on a scripted http error, and sends, stores and starts nothing', async () => {
    const id = await draft(order(target.url));
    const answer = await simulate(id, {
      input: { amount: 1200 },
      decisions: { review: 'approved' },
      responses: { erp: { error: 'the ERP answered 500' } },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ status: 'completed', output: { failed: 'the ERP answered 500' } });

    const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode).toBe(201);
    // A published version, with the http node's default answer: still nothing leaves.
    const onVersion = await simulate(id, { input: { amount: 1 }, version: 1, decisions: { review: 'approved' } });
    expect(onVersion.json()).toMatchObject({ status: 'completed', version: 1 });

    expect(target.received).toEqual([]);
    const { db } = h.database;
    const tenant = h.tenant.tenantId;
    expect(await db.select().from(workflowInstances).where(eq(workflowInstances.tenantId, tenant))).toEqual([]);
    expect(await db.select().from(workflowExecutions).where(eq(workflowExecutions.tenantId, tenant))).toEqual([]);
    expect(await db.select().from(workflowApprovals).where(eq(workflowApprovals.tenantId, tenant))).toEqual([]);
    expect(await db.select().from(workflowNotifications).where(eq(workflowNotifications.tenantId, tenant))).toEqual([]);
    const started = await h.temporal.workflow.count(`TaskQueue="${h.config.temporal.taskQueue}"`);
    expect(started.count).toBe(0);
  });

  it('reports what the run would wait on when an approval has no decision and cannot expire', async () => {
    const id = await draft(order(target.url));
    const report = (await simulate(id, { input: { amount: 3 }, decisions: { review: 'changes_requested' } })).json();
    expect(report.status).toBe('waiting');
    expect(report.waits).toEqual([
      expect.objectContaining({ kind: 'approval', nodeId: 'revise', approverRoles: ['requester'] }),
    ]);
  });

  it('refuses a script naming unknown nodes, wrong outcomes and bad input, listing every problem', async () => {
    const id = await draft(order(target.url));
    const answer = await simulate(id, {
      input: { amount: 'lots' },
      decisions: { review: ['approved', 'maybe'], ghost: 'approved', erp: 'approved', revise: 'resubmitted' },
      responses: { phantom: { status: 200 }, cool_off: {} },
      data: { nowhere: {}, revise: { note: 42 } },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(
      answer
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(
      [
        'body.input.amount',
        'body.decisions.review[1]',
        'body.decisions.ghost',
        'body.decisions.erp',
        'body.responses.phantom',
        'body.responses.cool_off',
        'body.data.nowhere',
        'body.data.revise.note',
      ].sort(),
    );
    const malformed = await simulate(id, { decisions: { review: 42 }, surprise: true });
    expect(malformed.statusCode).toBe(400);
    expect(target.received).toEqual([]);
  });

  it("answers 404 for another tenant's workflow and for a version that does not exist", async () => {
    const id = await draft(order(target.url));
    const other = await h.newTenant();
    expect((await simulate(id, { input: { amount: 1 } }, other.adminKey)).statusCode).toBe(404);
    expect((await simulate(id, { input: { amount: 1 }, version: 7 })).statusCode).toBe(404);
  });

  it('refuses a draft publishing would refuse (422) and a simulation past its limits (422)', async () => {
    const broken = await draft({ nodes: [trigger], edges: [edge('t', 'nowhere')] });
    const refused = await simulate(broken, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors.length).toBeGreaterThan(0);

    const endless = await draft({
      configuration: { maxNodeVisits: 15_000 },
      nodes: [trigger, { id: 'again', type: 'delay', data: { duration: '1m' } }],
      edges: [edge('t', 'again'), edge('again', 'again')],
    });
    const stopped = await simulate(endless, {});
    expect(stopped.statusCode).toBe(422);
    expect(stopped.json()).toMatchObject({ type: 'https://graphflow.dev/problems/simulation-limit' });
  });
});
