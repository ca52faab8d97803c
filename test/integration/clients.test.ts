/**
 * Clients (`/api/clients`): CRUD within a tenant, workflows and runs naming one (a run takes its workflow's unless
 * its start names another), the runs list and the reports filtering by client, and the refusals: another tenant's
 * client is a 404 (or a 400 where a body names it), bad input lists every problem, a client in use is not deleted.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowInstances, workflowVersions } from '../../db/schema';
import { triggerToEnd } from '../support/graphs';
import { createHarness, settled, type Harness } from '../harness';

let h: Harness;
let key: string;

const graph = triggerToEnd;

beforeAll(async () => {
  h = await createHarness();
  key = h.tenant.adminKey;
});
afterAll(async () => {
  await h?.close();
});

const newClient = async (name: string, as = key) => {
  const res = await h.api(as, { method: 'POST', url: '/api/clients', payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
};

async function publishedWorkflow(name: string, clientId?: string): Promise<string> {
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition: graph, ...(clientId ? { clientId } : {}) },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(201);
  return id;
}

describe('clients', () => {
  it('creates, reads, lists, changes and deletes a client', async () => {
    const created = await h.api(key, {
      method: 'POST',
      url: '/api/clients',
      payload: { name: '  Acme Corp ', contactEmail: 'ops@acme.example', notes: 'Key account' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const client = created.json();
    expect(client).toMatchObject({ name: 'Acme Corp', contactEmail: 'ops@acme.example', notes: 'Key account' });

    expect((await h.api(key, { method: 'GET', url: `/api/clients/${client.id}` })).json()).toEqual(client);
    const listed = (await h.api(key, { method: 'GET', url: '/api/clients?q=acme' })).json();
    expect(listed.items.map((c: { id: string }) => c.id)).toContain(client.id);

    const changed = await h.api(key, {
      method: 'PATCH',
      url: `/api/clients/${client.id}`,
      payload: { name: 'Acme Corporation', notes: null },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'Acme Corporation', notes: null, contactEmail: 'ops@acme.example' });

    expect((await h.api(key, { method: 'DELETE', url: `/api/clients/${client.id}` })).statusCode).toBe(204);
    expect((await h.api(key, { method: 'GET', url: `/api/clients/${client.id}` })).statusCode).toBe(404);
  });

  it('refuses a second client of the same name with 409, on create and on rename', async () => {
    const first = await newClient(`Twin ${randomUUID()}`);
    const name = (await h.api(key, { method: 'GET', url: `/api/clients/${first}` })).json().name;
    const again = await h.api(key, { method: 'POST', url: '/api/clients', payload: { name } });
    expect(again.statusCode).toBe(409);
    const other = await newClient(`Other ${randomUUID()}`);
    const renamed = await h.api(key, { method: 'PATCH', url: `/api/clients/${other}`, payload: { name } });
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json().detail).toContain('unique');
  });

  it('refuses bad client input with 400 listing every problem, and writes nothing', async () => {
    const before = (await h.api(key, { method: 'GET', url: '/api/clients?limit=500' })).json().items.length;
    const res = await h.api(key, {
      method: 'POST',
      url: '/api/clients',
      payload: { name: '   ', contactEmail: 'not an email', notes: 'x'.repeat(2001), owner: 'me' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = (res.json().errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.contactEmail', 'body.notes']));
    expect(res.json().errors.length).toBeGreaterThanOrEqual(4);
    expect((await h.api(key, { method: 'GET', url: '/api/clients?limit=500' })).json().items.length).toBe(before);
    const badId = await h.api(key, { method: 'GET', url: '/api/clients/not-a-uuid' });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].path).toBe('params.id');
  });

  it("answers 404 for another tenant's client, and never changes or deletes it", async () => {
    const other = await h.newTenant();
    const theirs = await newClient('Their client', other.adminKey);
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { name: 'Stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await h.api(key, { method, url: `/api/clients/${theirs}`, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${res.body}`).toBe(404);
    }
    const listed = (await h.api(key, { method: 'GET', url: '/api/clients?limit=500' })).json().items;
    expect(listed.map((c: { id: string }) => c.id)).not.toContain(theirs);
    expect((await h.api(other.adminKey, { method: 'GET', url: `/api/clients/${theirs}` })).json().name).toBe(
      'Their client',
    );
  });

  it("refuses a workflow or a run naming another tenant's client with 400, writing nothing", async () => {
    const other = await h.newTenant();
    const theirs = await newClient(`Foreign ${randomUUID()}`, other.adminKey);
    const name = `Foreign-client workflow ${randomUUID()}`;
    const created = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name, definition: graph, clientId: theirs },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json().errors).toEqual([{ path: 'body.clientId', message: expect.stringContaining(theirs) }]);
    const found = (await h.api(key, { method: 'GET', url: `/api/workflows?q=${encodeURIComponent(name)}` })).json();
    expect(found.items).toHaveLength(0);

    const workflowId = await publishedWorkflow(`Runs for clients ${randomUUID()}`);
    const run = await h.api(key, {
      method: 'POST',
      url: `/api/workflows/${workflowId}/runs`,
      payload: { input: {}, clientId: theirs },
    });
    expect(run.statusCode).toBe(400);
    expect(run.json().errors[0].path).toBe('body.clientId');
    const runs = (await h.api(key, { method: 'GET', url: `/api/runs?workflowId=${workflowId}` })).json();
    expect(runs.items).toHaveLength(0);

    const replaced = await h.api(key, {
      method: 'PUT',
      url: `/api/workflows/${workflowId}`,
      payload: { name: 'Renamed', definition: graph, clientId: theirs },
    });
    expect(replaced.statusCode).toBe(400);
    expect((await h.api(key, { method: 'GET', url: `/api/workflows/${workflowId}` })).json().clientId).toBeNull();
  });

  it("gives a run its workflow's client unless the start names another, and filters runs by client", async () => {
    const acme = await newClient(`Acme ${randomUUID()}`);
    const globex = await newClient(`Globex ${randomUUID()}`);
    const workflowId = await publishedWorkflow(`Client work ${randomUUID()}`, acme);
    expect((await h.api(key, { method: 'GET', url: `/api/workflows/${workflowId}` })).json().clientId).toBe(acme);
    const byWorkflow = (await h.api(key, { method: 'GET', url: `/api/workflows?clientId=${acme}` })).json().items;
    expect(byWorkflow.map((w: { id: string }) => w.id)).toEqual([workflowId]);

    const start = async (payload: object) => {
      const res = await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload });
      expect(res.statusCode, res.body).toBe(202);
      return res.json().runId as string;
    };
    const inherited = await start({ input: {} });
    const named = await start({ input: {}, clientId: globex });
    await Promise.all([settled(h, inherited), settled(h, named)]);

    const clientOf = async (runId: string) =>
      (await h.api(key, { method: 'GET', url: `/api/runs/${runId}` })).json().clientId;
    expect(await clientOf(inherited)).toBe(acme);
    expect(await clientOf(named)).toBe(globex);
    const listed = async (clientId: string) =>
      (await h.api(key, { method: 'GET', url: `/api/runs?clientId=${clientId}` }))
        .json()
        .items.map((r: { id: string }) => r.id);
    expect(await listed(acme)).toEqual([inherited]);
    expect(await listed(globex)).toEqual([named]);

    // A retry is for the same client as the run it retries.
    const retried = await h.api(key, { method: 'POST', url: `/api/runs/${named}/retry`, payload: {} });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(await clientOf(retried.json().runId)).toBe(globex);
    await settled(h, retried.json().runId);

    // Leaving clientId out of a replace keeps it; null clears it.
    const put = (extra: object) =>
      h.api(key, {
        method: 'PUT',
        url: `/api/workflows/${workflowId}`,
        payload: { name: 'Client work', definition: graph, ...extra },
      });
    expect((await put({})).json().clientId).toBe(acme);
    expect((await put({ clientId: null })).json().clientId).toBeNull();
    expect((await put({ clientId: globex })).json().clientId).toBe(globex);
    // A clone is for the same client.
    const clone = await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/clone`, payload: {} });
    expect(clone.statusCode, clone.body).toBe(201);
    expect(clone.json().clientId).toBe(globex);
  });

  it('refuses to delete a client in use with 409 saying what uses it, and keeps it', async () => {
    const client = await newClient(`In use ${randomUUID()}`);
    const workflowId = await publishedWorkflow(`Uses a client ${randomUUID()}`, client);
    const refused = await h.api(key, { method: 'DELETE', url: `/api/clients/${client}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().usedBy).toEqual({ workflows: 1, runs: 0, workflowIds: [workflowId] });
    expect(refused.json().detail).toContain('1 workflow(s)');
    expect((await h.api(key, { method: 'GET', url: `/api/clients/${client}` })).statusCode).toBe(200);
  });

  it('filters reports and the series by client', async () => {
    const acme = await newClient(`Reported ${randomUUID()}`);
    const workflowId = await publishedWorkflow(`Reported by client ${randomUUID()}`);
    const version = (
      await h.database.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, workflowId))
    )[0]!;
    const T0 = Date.parse('2026-03-02T10:00:00.000Z');
    const seed = async (clientId: string | null, status: 'completed' | 'failed', at: number) =>
      h.database.db.insert(workflowInstances).values({
        id: `client-report-${randomUUID()}`,
        tenantId: h.tenant.tenantId,
        workflowId,
        workflowVersionId: version.id,
        version: 1,
        status,
        clientId,
        createdAt: new Date(at),
        startedAt: new Date(at),
        completedAt: new Date(at + 1000),
      });
    await seed(acme, 'completed', T0);
    await seed(acme, 'failed', T0 + 3600_000);
    await seed(null, 'completed', T0 + 2 * 3600_000);
    const range = `from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z`;

    const report = (
      await h.api(key, { method: 'GET', url: `/api/reports/workflows/${workflowId}?${range}&clientId=${acme}` })
    ).json();
    expect(report.runs.total).toBe(2);
    expect(report.runs.byStatus).toMatchObject({ completed: 1, failed: 1 });
    const everyone = (await h.api(key, { method: 'GET', url: `/api/reports/workflows/${workflowId}?${range}` })).json();
    expect(everyone.runs.total).toBe(3);
    const overview = (
      await h.api(key, { method: 'GET', url: `/api/reports/overview?${range}&clientId=${acme}` })
    ).json();
    expect(overview.totals.runs.total).toBe(2);

    const series = await h.api(key, {
      method: 'GET',
      url: `/api/reports/series?${range}&bucket=hour&workflowId=${workflowId}&clientId=${acme}`,
    });
    expect(series.statusCode, series.body).toBe(200);
    const points = series.json().points as Array<{ start: string; total: number; byStatus: Record<string, number> }>;
    expect(points).toHaveLength(24);
    expect(points[10]).toMatchObject({ start: '2026-03-02T10:00:00.000Z', total: 1, byStatus: { completed: 1 } });
    expect(points[11]).toMatchObject({ start: '2026-03-02T11:00:00.000Z', total: 1, byStatus: { failed: 1 } });
    expect(points.reduce((sum, p) => sum + p.total, 0)).toBe(2);
    const daily = (
      await h.api(key, { method: 'GET', url: `/api/reports/series?${range}&bucket=day&workflowId=${workflowId}` })
    ).json();
    expect(daily.points).toEqual([expect.objectContaining({ start: '2026-03-02T00:00:00.000Z', total: 3 })]);
  });

  it('refuses a series of too many buckets or a bad bucket with 400 naming the field', async () => {
    const long = await h.api(key, {
      method: 'GET',
      url: '/api/reports/series?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=hour',
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0].path).toBe('querystring.bucket');
    const bad = await h.api(key, { method: 'GET', url: '/api/reports/series?bucket=minute&clientId=nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['querystring.bucket', 'querystring.clientId']),
    );
  });

  it('lets a viewer read clients but not write them', async () => {
    const viewer = await h.newUser(h.tenant, ['viewer']);
    expect((await h.api(viewer.key, { method: 'GET', url: '/api/clients' })).statusCode).toBe(200);
    const refused = await h.api(viewer.key, { method: 'POST', url: '/api/clients', payload: { name: 'Nope' } });
    expect(refused.statusCode).toBe(403);
  });
});
