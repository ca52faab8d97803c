/**
 * Migrating running runs to another version (`POST /api/runs/:id/migrate`): a run waiting on an approval moves to a
 * version that renamed the node, keeping the vote cast before and taking the new version's path after; a run waiting
 * in a delay keeps its deadline; a move the run cannot make (a node without counterpart) is refused with the list and
 * changes nothing; bad requests change nothing either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VersionKey } from '../../workflows/search-attributes';
import { createHarness, eventually, generationsOf, type Harness, settled } from '../harness';
import { recordHistory } from '../support/fixtures';
import { triggerToEnd } from '../support/graphs';

let h: Harness;
let managers: Array<{ userId: string; key: string }>;

beforeAll(async () => {
  h = await createHarness();
  managers = await Promise.all([h.newUser(h.tenant, ['manager']), h.newUser(h.tenant, ['manager'])]);
});
afterAll(async () => {
  await h?.close();
});

/** Polls at a pace the API's rate limit (600 requests a minute) allows. */
const polled = <T>(probe: () => Promise<T | undefined | null | false>) => eventually(probe, 200);
const admin = (options: Parameters<Harness['api']>[1]) => h.api(h.tenant.adminKey, options);

/** Creates the workflow with `first` published as version 1, then each of `later` as versions 2, 3 … */
async function publishVersions(name: string, first: object, ...later: object[]): Promise<string> {
  const created = await admin({ method: 'POST', url: '/api/workflows', payload: { name, definition: first } });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  for (const definition of [undefined, ...later]) {
    if (definition) {
      const edited = await admin({ method: 'PUT', url: `/api/workflows/${id}`, payload: { name, definition } });
      expect(edited.statusCode, edited.body).toBe(200);
    }
    const published = await admin({ method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode, published.body).toBe(201);
  }
  return id;
}

async function startRun(workflowId: string, version = 1): Promise<string> {
  const res = await admin({
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input: {}, version },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().runId as string;
}

const migrate = (runId: string, payload: object, key = h.tenant.adminKey) =>
  h.api(key, { method: 'POST', url: `/api/runs/${runId}/migrate`, payload });
const runOf = async (runId: string) => (await admin({ method: 'GET', url: `/api/runs/${runId}` })).json();

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
const review = (id: string) => ({ id, type: 'approval', data: { approverRoles: ['manager'], quorum: 2 } });

describe('migrating a running run', () => {
  it('moves a run waiting on an approval to a version that renamed it: the vote stays, the new path runs', async () => {
    const v1 = {
      nodes: [trigger, review('review'), { id: 'done', type: 'end', data: { output: { version: 1 } } }],
      edges: [
        { id: 'e1', source: 't', target: 'review' },
        { id: 'e2', source: 'review', sourceHandle: 'approved', target: 'done' },
      ],
    };
    const v2 = {
      nodes: [
        trigger,
        review('legal_review'),
        { id: 'stamp', type: 'action', data: { action: 'set', vars: { stamped: true } } },
        { id: 'done', type: 'end', data: { output: { version: 2, stamped: '{{ vars.stamped }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'legal_review' },
        { id: 'e2', source: 'legal_review', sourceHandle: 'approved', target: 'stamp' },
        { id: 'e3', source: 'legal_review', sourceHandle: 'rejected', target: 'done' },
        { id: 'e4', source: 'stamp', target: 'done' },
      ],
    };
    const workflowId = await publishVersions('Migrate approval', v1, v2);
    const runId = await startRun(workflowId);
    const approval = await polled(async () => {
      const items = (await admin({ method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` })).json().items;
      return items[0] as { id: string } | undefined;
    });
    const vote = (key: string) =>
      h.api(key, { method: 'POST', url: `/api/approvals/${approval.id}/decision`, payload: { decision: 'approve' } });
    expect((await vote(managers[0]!.key)).statusCode).toBe(200);

    // Without a mapping the waiting node has no counterpart: refused with the reason, and the run stays where it was.
    const refused = await migrate(runId, { version: 2 });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().errors).toEqual([{ path: 'nodes.review', message: expect.stringContaining('"review"') }]);
    expect((await runOf(runId)).version).toBe(1);

    const moved = await migrate(runId, { version: 2, nodeMapping: { review: 'legal_review' } });
    expect(moved.statusCode, moved.body).toBe(202);
    expect(moved.json()).toEqual({
      runId,
      status: 'migrating',
      fromVersion: 1,
      toVersion: 2,
      waitingAt: ['legal_review'],
    });
    const row = await polled(async () => {
      const run = await runOf(runId);
      return run.version === 2 && run;
    });
    expect(row.approvals).toEqual([expect.objectContaining({ id: approval.id, nodeId: 'legal_review' })]);

    // The second vote completes the quorum the first began; the run leaves by the new version's path.
    expect((await vote(managers[1]!.key)).statusCode).toBe(200);
    await settled(h, runId);
    const done = await runOf(runId);
    expect(done).toMatchObject({ status: 'completed', version: 2, output: { version: 2, stamped: true } });
    expect(done.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['t', 'legal_review', 'stamp', 'done']);
    const history = (await admin({ method: 'GET', url: `/api/runs/${runId}/history` })).json().events;
    expect(history).toContainEqual(
      expect.objectContaining({
        type: 'run.migrated',
        detail: { fromVersion: 1, toVersion: 2, by: h.tenant.adminUserId, nodeMapping: { review: 'legal_review' } },
      }),
    );
    const described = await h.temporal.workflow.getHandle(runId).describe();
    expect(described.typedSearchAttributes.get(VersionKey)).toBe(2);
    const generations = await generationsOf(h, runId);
    expect(generations).toHaveLength(2);
    recordHistory('migrated-run-before', runId, generations[0]!.runId);
    recordHistory('migrated-run-after', runId, generations[1]!.runId);
  });

  it('moves a run waiting in a delay: it keeps its deadline, and the new version runs after it', async () => {
    const v1 = {
      nodes: [trigger, { id: 'wait', type: 'delay', data: { duration: '3s' } }, { id: 'done', type: 'end' }],
      edges: [
        { id: 'e1', source: 't', target: 'wait' },
        { id: 'e2', source: 'wait', target: 'done' },
      ],
    };
    const v2 = {
      nodes: [
        trigger,
        { id: 'wait', type: 'delay', data: { duration: '1h' } },
        { id: 'after', type: 'action', data: { action: 'set', vars: { late: false } } },
        { id: 'done', type: 'end', data: { output: { late: '{{ vars.late }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'wait' },
        { id: 'e2', source: 'wait', target: 'after' },
        { id: 'e3', source: 'after', target: 'done' },
      ],
    };
    const workflowId = await publishVersions('Migrate delay', v1, v2);
    const runId = await startRun(workflowId);
    await polled(async () => (await runOf(runId)).currentSteps?.includes('wait'));
    const moved = await migrate(runId, { version: 2 });
    expect(moved.statusCode, moved.body).toBe(202);
    expect(moved.json().waitingAt).toEqual(['wait']);
    // The one-hour delay of version 2 does not restart the wait: the run ends at version 1's deadline.
    await settled(h, runId);
    expect(await runOf(runId)).toMatchObject({ status: 'completed', version: 2, output: { late: false } });
  });

  it('refuses what cannot move, and changes nothing', async () => {
    const workflowId = await publishVersions('Migrate guards', triggerToEnd);
    const finished = await startRun(workflowId);
    await settled(h, finished);
    expect((await migrate(finished, { version: 1 })).statusCode).toBe(409);

    const waiting = {
      nodes: [trigger, review('review'), { id: 'done', type: 'end' }],
      edges: [
        { id: 'e1', source: 't', target: 'review' },
        { id: 'e2', source: 'review', sourceHandle: 'approved', target: 'done' },
      ],
    };
    const guarded = await publishVersions('Migrate guards 2', waiting, triggerToEnd);
    const runId = await startRun(guarded);
    await polled(async () => (await runOf(runId)).currentSteps?.includes('review'));

    const sameVersion = await migrate(runId, { version: 1 });
    expect(sameVersion.statusCode).toBe(422);
    expect(sameVersion.json().errors[0].path).toBe('body.version');
    expect((await migrate(runId, { version: 9 })).statusCode).toBe(422);
    const unknownNodes = await migrate(runId, { version: 2, nodeMapping: { nope: 'start', review: 'missing' } });
    expect(unknownNodes.statusCode).toBe(422);
    expect(unknownNodes.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'body.nodeMapping.nope',
      'body.nodeMapping.review',
      'nodes.review',
    ]);
    // Mapped onto a node of another kind: a trigger cannot hold an approval.
    expect((await migrate(runId, { version: 2, nodeMapping: { review: 'start' } })).json().errors).toEqual([
      { path: 'nodes.review', message: expect.stringContaining('trigger') },
    ]);
    const malformed = await migrate(runId, { version: 'two', nodeMapping: { review: 7 }, extra: true });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors.length).toBeGreaterThanOrEqual(3);
    const other = await h.newTenant();
    expect((await migrate(runId, { version: 2 }, other.adminKey)).statusCode).toBe(404);
    const operator = await h.newUser(h.tenant, ['operator']);
    expect((await migrate(runId, { version: 2 }, operator.key)).statusCode).toBe(403);

    expect(await runOf(runId)).toMatchObject({ status: 'running', version: 1, currentSteps: ['review'] });
    await h.temporal.workflow.getHandle(runId).cancel();
  });
});
