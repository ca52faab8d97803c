/** Schedules and events start runs; the platform's own events let one workflow start another. */
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  // Schedules outlive the worker: delete this file's.
  for await (const s of h.temporal.schedule.list()) {
    const handle = h.temporal.schedule.getHandle(s.scheduleId);
    const described = await handle.describe().catch(() => undefined);
    if (described && JSON.stringify(described.action).includes(h.tenant.tenantId)) await handle.delete();
  }
  await h?.close();
});

const end = { id: 'e', type: 'end', data: { output: { got: '{{ input }}' } } };
const graphWith = (trigger: object, extraNodes: object[] = [], edges?: object[]) => ({
  nodes: [{ id: 'start', type: 'trigger', data: { trigger } }, ...extraNodes, end],
  edges: edges ?? [{ id: 'e1', source: 'start', target: 'e' }],
});

async function create(name: string, definition: object): Promise<string> {
  const id = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id;
  const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}
const schedules = async () =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/schedules' })).json().items as Array<
    Record<string, unknown>
  >;

describe('schedules', () => {
  it('@every 2s starts runs that show in run lists; archiving pauses the schedule', async () => {
    const id = await create(
      'Every two seconds',
      graphWith({ type: 'schedule', cron: '@every 2s', input: { from: 'schedule' } }),
    );
    const listed = (await schedules()).find((s) => s.workflowId === id)!;
    expect(listed).toMatchObject({ paused: false, cron: '@every 2s' });
    expect((listed.nextRunTimes as string[]).length).toBeGreaterThan(0);

    const runs = await eventually(async () => {
      const items = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${id}` })).json()
        .items as Array<{ id: string; triggerSource: string }>;
      return items.length >= 2 ? items : undefined;
    });
    expect(runs.every((r) => r.triggerSource === 'schedule')).toBe(true);
    await settled(h, runs[0]!.id);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runs[0]!.id}` })).json().output).toEqual({
      got: { from: 'schedule' },
    });

    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/archive` });
    expect((await schedules()).find((s) => s.workflowId === id)).toMatchObject({ paused: true });
  });

  it('publishing a changed cron updates the schedule; removing the trigger deletes it', async () => {
    const id = await create('Nightly', graphWith({ type: 'schedule', cron: '@every 1h' }));
    await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: 'Nightly', definition: graphWith({ type: 'schedule', cron: '30 3 * * *', timezone: 'UTC' }) },
    });
    expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
      201,
    );
    const updated = (await schedules()).find((s) => s.workflowId === id)!;
    expect(updated.cron).toBe('30 3 * * *');
    for (const at of updated.nextRunTimes as string[]) expect(at).toMatch(/T03:30:00/);
    const scheduleId = updated.scheduleId as string;

    await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: 'Nightly', definition: graphWith({ type: 'manual' }) },
    });
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect((await schedules()).find((s) => s.workflowId === id)).toBeUndefined();
    await expect(h.temporal.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describe('events', () => {
  it('an event starts each matching workflow once per idempotency key, and skips those whose condition does not hold', async () => {
    const name = `order.created.${Date.now()}`;
    const all = await create('Every order', graphWith({ type: 'event', event: name }));
    const big = await create(
      'Big orders',
      graphWith({
        type: 'event',
        event: name,
        condition: { field: 'body.amount', operator: 'greater_than', value: 100 },
      }),
    );
    await create('Other event', graphWith({ type: 'event', event: `${name}.other` }));

    const first = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: `/api/events/${name}`,
      payload: { amount: 50 },
      headers: { 'idempotency-key': 'order-1' },
    });
    expect(first.statusCode, first.body).toBe(202);
    const runs = first.json().runs as Array<{ workflowId: string; status: string; runId?: string }>;
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.workflowId === all)).toMatchObject({ status: 'started' });
    expect(runs.find((r) => r.workflowId === big)).toMatchObject({ status: 'skipped' });

    const again = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: `/api/events/${name}`,
      payload: { amount: 50 },
      headers: { 'idempotency-key': 'order-1' },
    });
    expect(again.json().runs.find((r: { workflowId: string }) => r.workflowId === all)).toMatchObject({
      status: 'duplicate',
      runId: runs.find((r) => r.workflowId === all)!.runId,
    });

    const runId = runs.find((r) => r.workflowId === all)!.runId!;
    await settled(h, runId);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json()).toMatchObject({
      triggerSource: 'event',
      output: { got: { amount: 50 } },
    });
  });

  it('a failed run emits run.failed, which starts the error-handling workflow', async () => {
    const handler = await create(
      'On failure',
      graphWith({
        type: 'event',
        event: 'run.failed',
        input: { failedRun: '{{ body.runId }}', why: '{{ body.error.message }}' },
      }),
    );
    const failing = await create('Always fails', {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'boom', type: 'end', data: { status: 'failed' } },
      ],
      edges: [{ id: 'e1', source: 't', target: 'boom' }],
    });
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${failing}/runs`, payload: { input: {} } })
    ).json().runId;
    await settled(h, runId);
    const handled = await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${handler}` })).json().items[0],
    );
    expect(handled).toMatchObject({
      triggerSource: 'event',
      input: { failedRun: runId, why: expect.stringContaining('"boom"') },
    });
  });
});
