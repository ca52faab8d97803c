/**
 * One way to start a run (runs/): every path pins "this version or the latest published" through runs/pin.ts,
 * and the run's row is written by whoever creates the run, once (runs/run-row.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionActivities } from '../../activities/projection';
import { workflowInstances } from '../../db/schema';
import { resolvePin } from '../../runs/pin';
import { forgetUnstartedRun, insertPendingRun, markRunStarted, type RunFacts } from '../../runs/run-row';
import { createHarness, type Harness, settled } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const graph = (label: string) => ({
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    { id: 'end', type: 'end', data: { output: { label } } },
  ],
  edges: [{ id: 'e1', source: 't', target: 'end' }],
});

async function createWorkflow(key: string, name: string): Promise<string> {
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition: graph('one') },
  });
  expect(created.statusCode, created.body).toBe(201);
  return created.json().id as string;
}

async function publish(key: string, id: string, label: string): Promise<void> {
  await h.api(key, {
    method: 'PUT',
    url: `/api/workflows/${id}`,
    payload: { name: 'Pinned', definition: graph(label) },
  });
  const published = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
}

const rowOf = async (runId: string) =>
  (await h.database.db.select().from(workflowInstances).where(eq(workflowInstances.id, runId)).limit(1))[0];

describe('pinning a version', () => {
  it('resolves this version or the latest published, and says why a workflow starts no run', async () => {
    const key = h.tenant.adminKey;
    const { db } = h.database;
    const id = await createWorkflow(key, 'Pinned');
    expect(await resolvePin(db, h.tenant.tenantId, id, undefined)).toMatchObject({ reason: 'not-published' });
    await publish(key, id, 'one');
    await publish(key, id, 'two');

    expect(await resolvePin(db, h.tenant.tenantId, id, undefined)).toMatchObject({
      definition: { workflowId: id, version: 2, name: 'Pinned' },
    });
    expect(await resolvePin(db, h.tenant.tenantId, id, 1)).toMatchObject({
      definition: { version: 1, graph: { nodes: [{}, { data: { output: { label: 'one' } } }] } },
    });
    expect(await resolvePin(db, h.tenant.tenantId, id, 9)).toMatchObject({ reason: 'no-such-version' });
    // Another tenant's workflow is no workflow at all.
    const other = await h.newTenant('Pin stranger');
    expect(await resolvePin(db, other.tenantId, id, undefined)).toEqual({ reason: 'no-workflow' });

    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/archive` })).statusCode).toBe(200);
    expect(await resolvePin(db, h.tenant.tenantId, id, undefined)).toMatchObject({ reason: 'archived' });
  });

  it('a subworkflow that cannot be pinned fails for good, with the reason as its type', async () => {
    const key = h.tenant.adminKey;
    const { resolveDefinition } = createProjectionActivities(h.database.db);
    const refusal = async (workflowId: string, version: number | null) => {
      const error = await resolveDefinition({ tenantId: h.tenant.tenantId, workflowId, version }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApplicationFailure);
      const failure = error as ApplicationFailure;
      expect(failure.nonRetryable).toBe(true);
      return { type: failure.type, message: failure.message };
    };
    const id = await createWorkflow(key, 'Child');
    expect(await refusal(id, null)).toEqual({
      type: 'SubworkflowNotPublished',
      message: 'workflow "Child" has no published version',
    });
    await publish(key, id, 'one');
    expect(await resolveDefinition({ tenantId: h.tenant.tenantId, workflowId: id, version: null })).toMatchObject({
      workflowId: id,
      version: 1,
      name: 'Pinned',
    });
    expect(await refusal(id, 4)).toEqual({
      type: 'SubworkflowNotPublished',
      message: 'workflow "Pinned" has no published version 4',
    });
    expect(await refusal('00000000-0000-4000-8000-000000000000', null)).toEqual({
      type: 'SubworkflowNotFound',
      message: 'workflow "00000000-0000-4000-8000-000000000000" does not exist',
    });
    await h.api(key, { method: 'POST', url: `/api/workflows/${id}/archive` });
    expect(await refusal(id, null)).toEqual({
      type: 'SubworkflowArchived',
      message: 'workflow "Pinned" is archived and starts no runs',
    });
  });
});

describe('the run row', () => {
  it('a run the API starts is recorded by the start, pending, and the workflow only moves it on', async () => {
    const key = h.tenant.adminKey;
    const id = await createWorkflow(key, 'Rowed');
    await publish(key, id, 'one');
    const started = await h.api(key, {
      method: 'POST',
      url: `/api/workflows/${id}/runs`,
      payload: { input: { n: 1 }, priority: 'high' },
    });
    expect(started.statusCode, started.body).toBe(202);
    const { runId } = started.json() as { runId: string };
    await settled(h, runId);
    expect(await rowOf(runId)).toMatchObject({
      tenantId: h.tenant.tenantId,
      workflowId: id,
      version: 1,
      status: 'completed',
      priority: 'high',
      input: { n: 1 },
      triggeredBy: h.tenant.adminUserId,
      triggerSource: 'manual',
    });
  });

  it('a run Temporal started is inserted by its first write; a closed run is never reopened', async () => {
    const key = h.tenant.adminKey;
    const id = await createWorkflow(key, 'Scheduled');
    await publish(key, id, 'one');
    const pin = await resolvePin(h.database.db, h.tenant.tenantId, id, undefined);
    if ('reason' in pin) throw new Error(`not pinned: ${pin.reason}`);
    const facts: RunFacts = {
      runId: `sched-test-${id}`,
      tenantId: h.tenant.tenantId,
      workflowId: id,
      versionId: pin.version.id,
      version: 1,
      input: {},
      triggeredBy: null,
      triggerSource: 'schedule',
      priority: 'normal',
    };
    await markRunStarted(h.database.db, facts, new Date());
    expect(await rowOf(facts.runId)).toMatchObject({ status: 'running', triggerSource: 'schedule', triggeredBy: null });

    await h.database.db
      .update(workflowInstances)
      .set({ status: 'completed' })
      .where(and(eq(workflowInstances.id, facts.runId)));
    // A retried first write (the local activity ran twice) lands after the run closed: the record stands.
    await markRunStarted(h.database.db, facts, new Date());
    expect((await rowOf(facts.runId))?.status).toBe('completed');
    // A start Temporal refused takes back only a row still pending: this run started, so its row stays.
    expect(await insertPendingRun(h.database.db, facts)).toBe(false);
    await forgetUnstartedRun(h.database.db, facts.runId);
    expect(await rowOf(facts.runId)).toBeDefined();

    const unstarted = { ...facts, runId: `run-refused-${id}` };
    expect(await insertPendingRun(h.database.db, unstarted)).toBe(true);
    await forgetUnstartedRun(h.database.db, unstarted.runId);
    expect(await rowOf(unstarted.runId)).toBeUndefined();
  });
});
