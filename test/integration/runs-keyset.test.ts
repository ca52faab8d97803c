/**
 * The runs list's keyset pages at the database's precision, its version filter, the cursor's refusals, and the
 * seeding script the scale benchmark fills the projection with (scripts/seed-runs.ts), on a small size.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowApprovals, workflowExecutions, workflowInstances, workflowVersions } from '../../db/schema';
import { seedRuns } from '../../scripts/seed-runs';
import { createHarness, type Harness } from '../harness';

let h: Harness;
let workflowId: string;
let versionId: string;

beforeAll(async () => {
  h = await createHarness();
  const created = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: '/api/workflows',
    payload: {
      name: 'Keyset',
      definition: {
        nodes: [
          { id: 'start', type: 'trigger', data: { label: 'Start', trigger: { type: 'manual' } } },
          { id: 'done', type: 'end', data: { label: 'Done' } },
        ],
        edges: [{ id: 'e1', source: 'start', target: 'done' }],
      },
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  workflowId = created.json().id;
  expect(
    (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode,
  ).toBe(201);
  versionId = (
    await h.database.db
      .select({ id: workflowVersions.id })
      .from(workflowVersions)
      .where(eq(workflowVersions.workflowId, workflowId))
  )[0]!.id;
});
afterAll(async () => {
  await h?.close();
});

/** A run row created at `createdAt`, given as PostgreSQL text so it keeps its microseconds. */
async function runAt(createdAt: string, version = 1): Promise<string> {
  const id = `run-${randomUUID()}`;
  await h.database.db.insert(workflowInstances).values({
    id,
    tenantId: h.tenant.tenantId,
    workflowId,
    workflowVersionId: versionId,
    version,
    status: 'completed',
    createdAt: sql`${createdAt}::timestamptz` as unknown as Date,
  });
  return id;
}

const list = (query: string) => h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?${query}` });
const cursorOf = (createdAt: string, id: string) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

describe('runs list keyset', () => {
  it('pages through runs created within one millisecond without skipping any', async () => {
    // Newest first: .000900 down to .000100, all in the same millisecond.
    const ids: string[] = [];
    for (const us of [900, 700, 500, 300, 100])
      ids.push(await runAt(`2020-05-05T10:00:00.000${String(us).padStart(3, '0')}Z`));
    const seen: string[] = [];
    let cursor: string | null = null;
    const range = `workflowId=${workflowId}&from=2020-05-05T00:00:00Z&to=2020-05-06T00:00:00Z`;
    do {
      const page = await list(`${range}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      const body = page.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      seen.push(...body.items.map((r) => r.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('filters by a version of a workflow, and refuses a version without its workflow', async () => {
    const v2 = await runAt('2020-06-01T00:00:00Z', 2);
    const page = await list(`workflowId=${workflowId}&version=2`);
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json().items.map((r: { id: string }) => r.id)).toEqual([v2]);
    const refused = await list('version=2');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([{ path: 'querystring.version', message: 'needs workflowId' }]);
    expect((await list(`workflowId=${workflowId}&version=0`)).statusCode).toBe(400);
  });

  it('refuses a forged cursor naming a day the month has not, or a moment that is not ISO 8601', async () => {
    for (const moment of ['2026-02-30T00:00:00Z', 'yesterday', '2026-01-01 00:00:00', '2026-01-01T00:00:00.1234567Z']) {
      const res = await list(`cursor=${cursorOf(moment, 'run-x')}`);
      expect(res.statusCode, `${moment}: ${res.body}`).toBe(400);
      expect(res.json().errors).toEqual([{ path: 'querystring.cursor', message: 'unknown cursor' }]);
    }
  });
});

describe('scripts/seed-runs.ts', () => {
  it('seeds runs with the steps and approvals their statuses imply, on versions their workflows have', async () => {
    const tenant = await h.newTenant();
    const world = await seedRuns(h.database.db, { tenantId: tenant.tenantId, runs: 300, workflows: 4, batch: 120 });
    expect(world.workflowIds).toHaveLength(4);
    const { db } = h.database;
    const runs = await db
      .select({ status: workflowInstances.status, n: sql<number>`count(*)::int` })
      .from(workflowInstances)
      .where(eq(workflowInstances.tenantId, tenant.tenantId))
      .groupBy(workflowInstances.status);
    const byStatus = Object.fromEntries(runs.map((r) => [r.status, Number(r.n)]));
    expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(300);
    const steps = Number(
      (
        await db
          .select({ n: sql<number>`count(*)::int` })
          .from(workflowExecutions)
          .where(eq(workflowExecutions.tenantId, tenant.tenantId))
      )[0]!.n,
    );
    const s = (status: string) => byStatus[status] ?? 0;
    expect(steps).toBe(5 * s('completed') + 2 * s('failed') + 3 * (s('cancelled') + s('running') + s('paused')));
    const approvals = Number(
      (
        await db
          .select({ n: sql<number>`count(*)::int` })
          .from(workflowApprovals)
          .where(eq(workflowApprovals.tenantId, tenant.tenantId))
      )[0]!.n,
    );
    expect(approvals).toBe(s('completed') + s('cancelled') + s('running') + s('paused'));
    // Every run names a version its workflow has, and the list and the report read them.
    const mismatched = await db.execute(sql`
      select count(*)::int as n from workflow_instances i join workflow_versions v on v.id = i.workflow_version_id
      where i.tenant_id = ${tenant.tenantId} and (v.version <> i.version or v.workflow_id <> i.workflow_id)`);
    expect(Number((mismatched as unknown as { rows: Array<{ n: number }> }).rows[0]!.n)).toBe(0);
    const listed = await h.api(tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${world.bigWorkflowId}` });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items.length).toBeGreaterThan(0);
    const report = await h.api(tenant.adminKey, {
      method: 'GET',
      url: `/api/reports/workflows/${world.bigWorkflowId}?from=${world.from.toISOString()}&to=${new Date(world.until.getTime() + 2000).toISOString()}`,
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json().runs.total).toBe(30);
  });
});
