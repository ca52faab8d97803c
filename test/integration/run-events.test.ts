/**
 * Live run updates: projection writes announce changes through PostgreSQL NOTIFY (PGlite in process, or the
 * DATABASE_URL server), and GET /api/runs/:runId/events and GET /api/run-events stream them as SSE, with
 * the same key and tenant checks as reading the run.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyRunChange, RunEventHub } from '../../db/run-events';
import { sseTiming, MAX_STREAMS_PER_USER } from '../../api/routes/run-events';
import { createHarness, eventually, settled, type Harness } from '../harness';
import { approvalDefinition } from '../support/graphs';
import { openSse, type SseStream } from '../support/sse';

let h: Harness;
let base: string;

beforeAll(async () => {
  sseTiming.heartbeatMs = 300;
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await h?.close();
});

async function startApprovalRun(name: string) {
  const definition = approvalDefinition({ label: 'Decide', approverRoles: ['admin'], expiresIn: '1h' });
  const id = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id as string;
  expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
    201,
  );
  const operator = await h.newUser(h.tenant, ['operator']);
  const runId = (
    await h.api(operator.key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
  ).json().runId as string;
  return { workflowId: id, runId };
}

const streams: SseStream[] = [];
const open = async (path: string, key: string | undefined) => {
  const stream = await openSse(base, path, key);
  streams.push(stream);
  return stream;
};
afterAll(() => streams.forEach((s) => s.close()));

describe('run events (SSE)', () => {
  it('streams a change for each step, approval and status change of a run, and a heartbeat', async () => {
    const { runId } = await startApprovalRun('Live run');
    const stream = await open(`/api/runs/${runId}/events`, h.tenant.adminKey);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('text/event-stream');
    await stream.waitFor((b) => b === ': heartbeat');
    const approval = await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0] as
          { id: string } | undefined,
    );
    const decided = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: `/api/approvals/${approval.id}/decision`,
      payload: { decision: 'approved' },
    });
    expect(decided.statusCode).toBe(200);
    await settled(h, runId);
    await eventually(
      async () =>
        stream.changes().some((c) => c.kind === 'run') &&
        stream.changes().filter((c) => c.kind === 'approval').length >= 1,
    );
    const kinds = new Set(stream.changes().map((c) => c.kind));
    expect(kinds).toEqual(new Set(['step', 'approval', 'run']));
    expect(stream.changes().every((c) => c.runId === runId)).toBe(true);
  });

  it('the tenant stream carries every run of the tenant, and a run stream only its own run', async () => {
    const tenantStream = await open('/api/run-events', h.tenant.adminKey);
    const first = await startApprovalRun('Tenant stream one');
    const onlyFirst = await open(`/api/runs/${first.runId}/events`, h.tenant.adminKey);
    const second = await startApprovalRun('Tenant stream two');
    await eventually(
      async () =>
        tenantStream.changes().some((c) => c.runId === first.runId) &&
        tenantStream.changes().some((c) => c.runId === second.runId),
    );
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${second.runId}/cancel` });
    await settled(h, second.runId);
    await eventually(async () => tenantStream.changes().some((c) => c.runId === second.runId && c.kind === 'run'));
    expect(onlyFirst.changes().every((c) => c.runId === first.runId)).toBe(true);
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${first.runId}/cancel` });
  });

  it("refuses to stream another tenant's run, and never sends another tenant's changes", async () => {
    const other = await h.newTenant();
    const { runId } = await startApprovalRun('Not theirs');
    const refused = await open(`/api/runs/${runId}/events`, other.adminKey);
    expect(refused.status).toBe(404);
    expect(JSON.parse(await refused.text())).toMatchObject({ status: 404 });
    const theirs = await open('/api/run-events', other.adminKey);
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
    await settled(h, runId);
    // A change of their own, sent after ours: once it arrives, ours would have too.
    await notifyRunChange(h.database.db, { tenantId: other.tenantId, runId: 'their-own-run', kind: 'run' });
    await eventually(async () => theirs.changes().some((c) => c.runId === 'their-own-run'));
    expect(theirs.changes().map((c) => c.runId)).toEqual(['their-own-run']);
  });

  it('refuses a stream without a key, with a revoked-looking key, and for an unknown run', async () => {
    const none = await open('/api/run-events', undefined);
    expect(none.status).toBe(401);
    const wrong = await open('/api/run-events', 'gf_not-a-key');
    expect(wrong.status).toBe(401);
    const unknown = await open('/api/runs/run-nope/events', h.tenant.adminKey);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(await unknown.text()).type).toContain('not-found');
  });

  it('answers 406 at once to a request that does not ask for an event stream, instead of hanging it', async () => {
    const { runId } = await startApprovalRun('Not a stream');
    for (const url of ['/api/run-events', `/api/runs/${runId}/events`]) {
      const answer = await h.api(h.tenant.adminKey, { method: 'GET', url, headers: { accept: 'application/json' } });
      expect(answer.statusCode, url).toBe(406);
      expect(answer.headers['content-type']).toContain('application/problem+json');
    }
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it('frees the subscriber when the client goes away', async () => {
    const before = h.app.runEvents.subscriberCount;
    const viewer = await h.newUser(h.tenant, ['viewer']);
    const stream = await open('/api/run-events', viewer.key);
    expect(stream.status).toBe(200);
    await eventually(async () => h.app.runEvents.subscriberCount === before + 1);
    stream.close();
    await eventually(async () => h.app.runEvents.subscriberCount === before);
  });

  it('refuses a flood of streams from one user with 429, and serves again once one closes', async () => {
    const user = await h.newUser(h.tenant, ['viewer']);
    const held: SseStream[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) held.push(await open('/api/run-events', user.key));
    expect(held.every((s) => s.status === 200)).toBe(true);
    const refused = await open('/api/run-events', user.key);
    expect(refused.status).toBe(429);
    expect(JSON.parse(await refused.text()).detail).toContain('live streams');
    held[0]!.close();
    await eventually(async () => (await open('/api/run-events', user.key)).status === 200, 100);
    held.forEach((s) => s.close());
  });

  it('ignores announcements that are not its own on the channel', async () => {
    const stream = await open('/api/run-events', h.tenant.adminKey);
    await h.database.db.execute(
      sql`select pg_notify('graphflow_runs', 'not json'), pg_notify('graphflow_runs', ${JSON.stringify({ tenantId: h.tenant.tenantId, runId: 'x', kind: 'drop table' })})`,
    );
    await notifyRunChange(h.database.db, { tenantId: h.tenant.tenantId, runId: 'marker', kind: 'run' });
    await eventually(async () => stream.changes().some((c) => c.runId === 'marker'));
    expect(stream.changes().some((c) => c.runId === 'x')).toBe(false);
  });

  it('tells subscribers to read again when the LISTEN connection is lost, and listens again', async () => {
    let lose: (error: Error) => void = () => {};
    let listens = 0;
    const hub = new RunEventHub({
      listen: async (_channel, _onMessage, onLost) => {
        listens++;
        lose = onLost;
        return async () => {};
      },
    });
    const events: string[] = [];
    hub.subscribe({ tenantId: 't', deliver: (e) => events.push(e.kind) });
    await hub.ready();
    lose(new Error('connection reset'));
    expect(events).toEqual(['resync']);
    await eventually(async () => listens === 2);
    await eventually(async () => events.length === 2);
    expect(events).toEqual(['resync', 'resync']);
    await hub.close();
  });

  it('closing the server ends open streams instead of waiting for them', async () => {
    const own = await createHarness();
    const url = await own.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(url, '/api/run-events', own.tenant.adminKey);
    expect(stream.status).toBe(200);
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(20_000);
    stream.close();
  });
});
