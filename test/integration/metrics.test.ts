/**
 * `GET /metrics`: who may scrape (METRICS_TOKEN, or an admin key of the default tenant; nobody else), and what it
 * says, parsed by a Prometheus text parser: run counters read from the database agree between two API processes
 * whichever of them started the run, the approval histogram counts decisions, and the per-process HTTP and webhook
 * series count what this process answered, by route pattern and never by raw URL.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ensureBootstrapAdmin } from '../../api/auth';
import { openDatabase } from '../../db/client';
import { workflowApprovals, workflowInstances, workflowVersions } from '../../db/schema';
import { eq } from 'drizzle-orm';
import { createHarness, settled, type Harness, type TenantFixture } from '../harness';
import { parsePrometheusText, type Exposition } from '../support/prometheus-text';

const METRICS_TOKEN = `metrics-${randomUUID()}`;
const BOOTSTRAP_KEY = `bootstrap-${randomUUID()}`;

let h: Harness;
/** A second API process on the same database and Temporal, as behind a load balancer. */
let second: FastifyInstance;
let defaultTenant: TenantFixture;

beforeAll(async () => {
  h = await createHarness({ METRICS_TOKEN });
  second = await buildApp({ config: h.config, database: h.database, temporal: h.temporal, logger: false });
  const bootstrap = await ensureBootstrapAdmin(h.database.db, BOOTSTRAP_KEY);
  defaultTenant = { tenantId: bootstrap.tenantId, adminKey: BOOTSTRAP_KEY, adminUserId: bootstrap.userId };
});
afterAll(async () => {
  await second?.close();
  await h?.close();
});

const scrape = (app: FastifyInstance, authorization?: string) =>
  app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

async function families(app: FastifyInstance): Promise<Exposition> {
  const res = await scrape(app, `Bearer ${METRICS_TOKEN}`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return parsePrometheusText(res.body);
}

describe('who may scrape', () => {
  it('refuses a scrape without credentials with 401', async () => {
    const res = await scrape(h.app);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toContain('graphflow_');
  });

  it('refuses a wrong token, and the right token not sent as a bearer, with 401', async () => {
    for (const authorization of [
      `Bearer ${METRICS_TOKEN}x`,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      `Basic ${METRICS_TOKEN}`,
      METRICS_TOKEN,
    ]) {
      const res = await scrape(h.app, authorization);
      expect(res.statusCode, authorization).toBe(401);
      expect(res.body).not.toContain('graphflow_');
    }
  });

  it("refuses another tenant's admin key with 403: the figures are the platform's, not its own", async () => {
    const res = await scrape(h.app, `Bearer ${h.tenant.adminKey}`);
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('graphflow_runs');
  });

  it('refuses a non-admin key of the default tenant with 403', async () => {
    const viewer = await h.newUser(defaultTenant, ['viewer']);
    expect((await scrape(h.app, `Bearer ${viewer.key}`)).statusCode).toBe(403);
  });

  it('accepts METRICS_TOKEN and an admin key of the default tenant', async () => {
    expect((await scrape(h.app, `Bearer ${METRICS_TOKEN}`)).statusCode).toBe(200);
    expect((await scrape(h.app, `Bearer ${BOOTSTRAP_KEY}`)).statusCode).toBe(200);
  });
});

describe('what it says', () => {
  it('names every contracted series, with process metrics, in parseable Prometheus text', async () => {
    const all = await families(h.app);
    expect(Object.fromEntries([...all.types].filter(([name]) => name.startsWith('graphflow_')))).toEqual({
      graphflow_runs_started_total: 'counter',
      graphflow_runs_finished_total: 'counter',
      graphflow_approval_decision_seconds: 'histogram',
      graphflow_http_request_duration_seconds: 'histogram',
      graphflow_webhook_deliveries_total: 'counter',
    });
    expect(all.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(
      all.samples
        .filter((s) => s.name === 'graphflow_runs_finished_total')
        .map((s) => s.labels.status)
        .sort(),
    ).toEqual(['cancelled', 'completed', 'failed']);
  });

  it('counts runs alike in two API processes, whichever started or finished them', async () => {
    const [beforeFirst, beforeSecond] = [await families(h.app), await families(second)];
    const key = h.tenant.adminKey;
    const definition = {
      nodes: [
        { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'done', type: 'end', data: { output: { ok: true } } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'done' }],
    };
    const id = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Counted', definition } })
    ).json().id as string;
    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(201);
    // Started through the first process; a failed run written as a worker would, through neither.
    const started = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } });
    expect(started.statusCode, started.body).toBe(202);
    await settled(h, started.json().runId as string);
    const version = (
      await h.database.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, id))
    )[0]!;
    const failedRun = `metrics-${randomUUID()}`;
    await h.database.db.insert(workflowInstances).values({
      id: failedRun,
      tenantId: h.tenant.tenantId,
      workflowId: id,
      workflowVersionId: version.id,
      version: 1,
      status: 'failed',
      startedAt: new Date(Date.now() - 1000),
      completedAt: new Date(),
    });
    // An approval decided after 90 s: in the 300 s bucket, not the 60 s one.
    const requestedAt = new Date(Date.now() - 90_000);
    await h.database.db.insert(workflowApprovals).values({
      tenantId: h.tenant.tenantId,
      instanceId: failedRun,
      nodeId: 'ask',
      status: 'approved',
      outcome: 'approved',
      requestedAt,
      respondedAt: new Date(requestedAt.getTime() + 90_000),
      decidedBy: h.tenant.adminUserId,
    });

    for (const [app, before] of [
      [h.app, beforeFirst],
      [second, beforeSecond],
    ] as const) {
      const after = await families(app);
      const delta = (name: string, labels?: Record<string, string>) =>
        after.value(name, labels) - before.value(name, labels);
      expect(delta('graphflow_runs_started_total')).toBe(2);
      expect(delta('graphflow_runs_finished_total', { status: 'completed' })).toBe(1);
      expect(delta('graphflow_runs_finished_total', { status: 'failed' })).toBe(1);
      expect(delta('graphflow_runs_finished_total', { status: 'cancelled' })).toBe(0);
      expect(delta('graphflow_approval_decision_seconds_count')).toBe(1);
      expect(delta('graphflow_approval_decision_seconds_bucket', { le: '60' })).toBe(0);
      expect(delta('graphflow_approval_decision_seconds_bucket', { le: '300' })).toBe(1);
      expect(delta('graphflow_approval_decision_seconds_bucket', { le: '+Inf' })).toBe(1);
      expect(delta('graphflow_approval_decision_seconds_sum')).toBeCloseTo(90, 3);
    }
  });

  it('measures requests by route pattern, so random paths mint no new series', async () => {
    const probe = `no-such-${randomUUID()}`;
    await h.app.inject({ method: 'GET', url: `/${probe}` });
    await h.app.inject({ method: 'GET', url: '/healthz' });
    const res = await scrape(h.app, `Bearer ${METRICS_TOKEN}`);
    expect(res.body).not.toContain(probe);
    const all = parsePrometheusText(res.body);
    const count = 'graphflow_http_request_duration_seconds_count';
    expect(all.value(count, { method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(all.value(count, { method: 'GET', route: '/healthz', status_code: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('counts webhook deliveries by result: a refused signature and an unknown hook', async () => {
    const before = await families(h.app);
    const key = h.tenant.adminKey;
    const path = `metrics-${randomUUID().slice(0, 8)}`;
    const definition = {
      nodes: [
        // Its secret is never set: the hook refuses every delivery as a bad signature.
        {
          id: 'hook',
          type: 'trigger',
          data: { trigger: { type: 'webhook', path, secretRef: 'METRICS_UNSET_SECRET' } },
        },
        { id: 'done', type: 'end', data: { output: {} } },
      ],
      edges: [{ id: 'e1', source: 'hook', target: 'done' }],
    };
    const id = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Hooked', definition } })
    ).json().id as string;
    const published = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode, published.body).toBe(201);
    const refused = await h.app.inject({
      method: 'POST',
      url: `/hooks/${h.tenant.tenantId}/${path}`,
      payload: { n: 1 },
      headers: { 'x-signature': 'sha256=forged' },
    });
    expect(refused.statusCode).toBe(401);
    const unknown = await h.app.inject({ method: 'POST', url: `/hooks/${randomUUID()}/nothing`, payload: {} });
    expect(unknown.statusCode).toBe(404);

    const after = await families(h.app);
    const delta = (result: string) =>
      after.value('graphflow_webhook_deliveries_total', { result }) -
      before.value('graphflow_webhook_deliveries_total', { result });
    expect(delta('rejected')).toBe(1);
    expect(delta('unknown_hook')).toBe(1);
    expect(delta('started')).toBe(0);
  });

  it('still answers with the process series while the database is away, leaving out the ones read from it', async () => {
    const gone = await openDatabase({ embeddedDir: 'memory://' });
    await gone.migrate();
    const app = await buildApp({ config: h.config, database: gone, temporal: h.temporal, logger: false });
    await gone.close();
    try {
      const res = await scrape(app, `Bearer ${METRICS_TOKEN}`);
      expect(res.statusCode, res.body).toBe(200);
      const all = parsePrometheusText(res.body);
      expect(all.types.get('graphflow_runs_started_total')).toBe('counter');
      expect(all.samples.some((s) => s.name.startsWith('graphflow_runs_'))).toBe(false);
      expect(all.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
