/**
 * A dependency down under the API: Temporal's server stopped, then a real
 * PostgreSQL stopped. The API answers 503 naming the dependency, with
 * Retry-After, within about two seconds (never a hang, never a bare 500);
 * /readyz says which within a second; the outage is logged as a start and an
 * end, not a line per request; everything works again once it is back.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { connectTemporalClient } from '../../api/temporal-client';
import { openDatabase } from '../../db/client';
import { startDevServer, type DevServer } from '../../scripts/temporal';
import { freePort } from '../global-setup';
import { createHarness, eventually, type Harness } from '../harness';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const manualDefinition = (delay?: string) => ({
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    ...(delay ? [{ id: 'wait', type: 'delay', data: { duration: delay } }] : []),
    { id: 'e', type: 'end', data: { output: { done: true } } },
  ],
  edges: delay
    ? [
        { id: 'e1', source: 't', target: 'wait' },
        { id: 'e2', source: 'wait', target: 'e' },
      ]
    : [{ id: 'e1', source: 't', target: 'e' }],
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

async function publish(app: FastifyInstance, key: string, definition: unknown): Promise<string> {
  const headers = { authorization: `Bearer ${key}` };
  const created = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers,
    payload: { name: 'Outage', definition },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  expect((await app.inject({ method: 'POST', url: `/api/workflows/${id}/publish`, headers })).statusCode).toBe(201);
  return id;
}

describe('a dependency down under the API', () => {
  it('answers 503 temporal_unavailable with Retry-After within 2 s while Temporal is down, and works again once it is back', async () => {
    const port = await freePort();
    const devServer = (): Promise<DevServer> => startDevServer({ port, headless: true, readyTimeoutMs: 180_000 });
    let server = await devServer();
    cleanups.push(() => server.stop());
    const h = await createHarness({ TEMPORAL_ADDRESS: server.address }, { inProcessWorker: false });
    cleanups.push(() => h.close());
    // The API as main.ts and `npm run api` build it: the client with deadlines, logging its warnings.
    const { client, connection } = await connectTemporalClient(server.address, h.config.temporal.namespace);
    cleanups.push(() => connection.close());
    const lines: string[] = [];
    const app = await buildApp({
      config: h.config,
      database: h.database,
      temporal: client,
      logStream: { write: (line) => lines.push(line) },
    });
    cleanups.push(() => app.close());
    const key = h.tenant.adminKey;
    const workflowId = await publish(app, key, manualDefinition());
    const startRun = () =>
      app.inject({
        method: 'POST',
        url: `/api/workflows/${workflowId}/runs`,
        headers: { authorization: `Bearer ${key}` },
        payload: { input: {} },
      });
    const first = await startRun();
    expect(first.statusCode).toBe(202);
    const firstRunId = first.json().runId as string;

    await server.stop();

    for (let i = 0; i < 3; i++) {
      const { value: refused, ms } = await timed(startRun);
      expect(refused.statusCode, refused.body).toBe(503);
      expect(ms).toBeLessThan(2500);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json()).toMatchObject({
        type: 'https://graphflow.dev/problems/temporal-unavailable',
        status: 503,
        unavailable: 'temporal_unavailable',
      });
    }
    // A signal to a run (cancel) is a 503 too, not a conflict.
    const { value: cancel, ms: cancelMs } = await timed(() =>
      app.inject({
        method: 'POST',
        url: `/api/runs/${firstRunId}/cancel`,
        headers: { authorization: `Bearer ${key}` },
      }),
    );
    expect(cancelMs).toBeLessThan(2500);
    expect(cancel.statusCode, cancel.body).toBe(503);
    expect(cancel.json()).toMatchObject({
      type: 'https://graphflow.dev/problems/temporal-unavailable',
      unavailable: 'temporal_unavailable',
    });
    const { value: ready, ms: readyMs } = await timed(() => app.inject({ method: 'GET', url: '/readyz' }));
    expect(readyMs).toBeLessThan(1000);
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toMatchObject({ unavailable: ['temporal_unavailable'], checks: { postgres: 'ok' } });
    // Reading what PostgreSQL holds still works.
    expect(
      (await app.inject({ method: 'GET', url: '/api/runs', headers: { authorization: `Bearer ${key}` } })).statusCode,
    ).toBe(200);

    server = await devServer();
    const again = await eventually(async () => {
      const res = await startRun();
      return res.statusCode === 202 ? res : undefined;
    }, 200);
    expect(again.statusCode).toBe(202);
    await eventually(async () => lines.some((l) => l.includes('[temporal] available again')), 100);
    // One line when it went and one when it came back, however many requests were refused.
    expect(lines.filter((l) => l.includes('[temporal] unavailable')).length).toBe(1);
    expect(lines.filter((l) => l.includes('[temporal] available again')).length).toBe(1);
    expect(lines.some((l) => l.includes('"level":50'))).toBe(false);
  }, 240_000);

  it('answers 503 database_unavailable within 2 s while a real PostgreSQL is stopped, and loses no projection row once it is back', async () => {
    let postgres: ThrowawayPostgres;
    try {
      postgres = await startThrowawayPostgres();
    } catch (error) {
      throw new Error(`This test needs its own PostgreSQL cluster: ${(error as Error).message}`);
    }
    cleanups.push(() => postgres.destroy());
    const migrating = await openDatabase({ databaseUrl: postgres.url });
    await migrating.migrate();
    await migrating.close();
    const h: Harness = await createHarness({ DATABASE_URL: postgres.url, TEMPORAL_ADDRESS: inject('temporalAddress') });
    cleanups.push(() => h.close());
    const key = h.tenant.adminKey;
    const headers = { authorization: `Bearer ${key}` };
    const workflowId = await publish(h.app, key, manualDefinition('3s'));
    const runIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const started = await h.app.inject({
        method: 'POST',
        url: `/api/workflows/${workflowId}/runs`,
        headers,
        payload: { input: { i } },
      });
      expect(started.statusCode, started.body).toBe(202);
      runIds.push(started.json().runId as string);
    }

    await postgres.stop();

    for (const request of [
      { method: 'GET' as const, url: '/api/runs' },
      { method: 'GET' as const, url: `/api/runs/${runIds[0]}` },
      { method: 'POST' as const, url: `/api/workflows/${workflowId}/runs`, payload: { input: {} } },
    ]) {
      const { value: refused, ms } = await timed(() => h.app.inject({ ...request, headers }));
      expect(refused.statusCode, `${request.method} ${request.url}: ${refused.body}`).toBe(503);
      expect(ms).toBeLessThan(2500);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json()).toMatchObject({
        type: 'https://graphflow.dev/problems/database-unavailable',
        status: 503,
        unavailable: 'database_unavailable',
      });
    }
    const { value: ready, ms: readyMs } = await timed(() => h.app.inject({ method: 'GET', url: '/readyz' }));
    expect(readyMs).toBeLessThan(1000);
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ unavailable: ['database_unavailable'], checks: { temporal: 'ok' } });

    // Down for longer than the runs' delay: their projection writes fail and are retried meanwhile.
    await new Promise((r) => setTimeout(r, 4000));
    await postgres.start();
    await eventually(async () => (await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, 200);

    for (const runId of runIds) {
      await h.temporal.workflow.getHandle(runId).result();
      const run = await eventually(async () => {
        const res = await h.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers });
        const body = res.json() as Record<string, unknown>;
        return res.statusCode === 200 && body.status === 'completed' ? body : undefined;
      }, 200);
      expect(run.output).toEqual({ done: true });
      expect((run.steps as Array<{ nodeId: string }>).map((s) => s.nodeId).sort()).toEqual(['e', 't', 'wait']);
    }
    // Every run Temporal completed on this task queue has its completed row: none lost.
    const completedInTemporal: string[] = [];
    for await (const wf of h.temporal.workflow.list({
      query: `TaskQueue = '${h.config.temporal.taskQueue}' AND ExecutionStatus = 'Completed'`,
    }))
      completedInTemporal.push(wf.workflowId);
    const listed = await h.app.inject({ method: 'GET', url: '/api/runs?status=completed&limit=100', headers });
    expect(listed.statusCode, listed.body).toBe(200);
    const projected = (listed.json().items as Array<{ id: string }>).map((r) => r.id).sort();
    expect(projected).toEqual(completedInTemporal.sort());
    expect(projected).toEqual([...runIds].sort());
  }, 240_000);
});
