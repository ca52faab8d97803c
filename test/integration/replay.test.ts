/**
 * Upgrade safety: histories recorded from real runs must replay on the
 * current workflow code. A change that would break runs in flight fails here;
 * guard such a change with `patched()`.
 *
 * Fixtures in test/fixtures/histories/ are recorded by
 * `RECORD_HISTORIES=1 npx vitest run test/integration/replay.test.ts`
 * and committed; never re-record them to make this test pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHarness, eventually, generationsOf, type Harness, publishAndRun, settled } from '../harness';
import { pollWhileApprovalWaits } from '../support/graphs';
import { fixturesDir, recordHistory } from '../support/fixtures';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

const fixtures = fixturesDir;
let h: Harness;
let target: HttpTarget;

beforeAll(async () => {
  [h, target] = await Promise.all([createHarness(), startHttpTarget()]);
});
afterAll(async () => {
  await Promise.all([h?.close(), target?.close()]);
});

/**
 * Graphs covering every node type and path the engine runs. New graphs get new names: old fixtures stay, to prove old
 * runs still replay.
 */
function graphs(url: string, childId: string) {
  const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };
  const ridesWork = {
    nodes: [
      trigger,
      { id: 'first', type: 'action', data: { action: 'http', method: 'POST', url: `${url}/ok` } },
      {
        id: 'refused',
        type: 'action',
        data: { action: 'http', method: 'POST', url: `${url}/fail`, retry: { maximumAttempts: 1 } },
      },
      { id: 'mark', type: 'action', data: { action: 'set', vars: { refused: true } } },
      { id: 'wait', type: 'delay', data: { duration: '50ms' } },
      { id: 'left', type: 'action', data: { action: 'http', method: 'POST', url: `${url}/ok` } },
      { id: 'late', type: 'end', data: {} },
      { id: 'done', type: 'end', data: { status: 'cancelled' } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'first' },
      { id: 'e2', source: 'first', target: 'refused' },
      { id: 'e3', source: 'refused', sourceHandle: 'error', target: 'mark' },
      { id: 'e4', source: 'refused', target: 'mark' },
      { id: 'e5', source: 'mark', target: 'wait' },
      { id: 'e6', source: 'wait', target: 'left' },
      { id: 'e7', source: 'left', target: 'late' },
      { id: 'e8', source: 'wait', target: 'done' },
    ],
  };
  return {
    'branch-and-http': {
      nodes: [
        trigger,
        { id: 'set', type: 'action', data: { action: 'set', vars: { n: '{{ input.n }}' } } },
        { id: 'log', type: 'action', data: { action: 'log', message: 'n is {{ vars.n }}' } },
        {
          id: 'call',
          type: 'action',
          data: { label: 'Call', action: 'http', method: 'POST', url: `${url}/ok`, body: { n: '{{ vars.n }}' } },
        },
        { id: 'c', type: 'condition', data: { condition: { field: 'vars.n', operator: 'greater_than', value: 1 } } },
        { id: 'big', type: 'end', data: { output: { size: 'big' } } },
        { id: 'small', type: 'end', data: { output: { size: 'small' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'set' },
        { id: 'e2', source: 'set', target: 'log' },
        { id: 'e3', source: 'log', target: 'call' },
        { id: 'e4', source: 'call', target: 'c' },
        { id: 'e5', source: 'c', sourceHandle: 'true', target: 'big' },
        { id: 'e6', source: 'c', sourceHandle: 'false', target: 'small' },
      ],
    },
    'fork-join-error-edge': {
      nodes: [
        trigger,
        { id: 'a', type: 'action', data: { action: 'http', url: `${url}/fail`, retry: { maximumAttempts: 1 } } },
        { id: 'b', type: 'action', data: { action: 'set', vars: { b: true } } },
        { id: 'recover', type: 'action', data: { action: 'set', vars: { recovered: '{{ nodes.a.error.message }}' } } },
        { id: 'j', type: 'join', data: { mode: 'all' } },
        { id: 'route', type: 'condition', data: {} },
        { id: 'done', type: 'end', data: { output: { recovered: '{{ vars.recovered }}' } } },
        { id: 'other', type: 'end', data: { status: 'failed' } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'a' },
        { id: 'e2', source: 't', target: 'b' },
        { id: 'e3', source: 'a', sourceHandle: 'error', target: 'recover' },
        { id: 'e4', source: 'a', target: 'j' },
        { id: 'e5', source: 'recover', target: 'j' },
        { id: 'e6', source: 'b', target: 'j' },
        { id: 'e7', source: 'j', target: 'route' },
        { id: 'e8', source: 'route', target: 'done', condition: { field: 'vars.b', operator: 'equals', value: true } },
        { id: 'e9', source: 'route', target: 'other', isDefault: true },
      ],
    },
    'loop-delay-join-any': {
      nodes: [
        trigger,
        { id: 'each', type: 'loop', data: { forEach: 'input.items', as: 'thing', concurrency: 2 } },
        {
          id: 'order',
          type: 'action',
          data: { action: 'http', method: 'POST', url: `${url}/ok`, body: { thing: '{{ thing }}' } },
        },
        { id: 'wait', type: 'delay', data: { duration: '100ms' } },
        { id: 'first', type: 'join', data: { mode: 'any' } },
        { id: 'done', type: 'end', data: { output: { orders: '{{ nodes.each.output }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'each' },
        { id: 'e2', source: 'each', sourceHandle: 'body', target: 'order' },
        { id: 'e3', source: 'order', target: 'each' },
        { id: 'e4', source: 'each', sourceHandle: 'done', target: 'first' },
        { id: 'e5', source: 't', target: 'wait' },
        { id: 'e6', source: 'wait', target: 'first' },
        { id: 'e7', source: 'first', target: 'done' },
      ],
    },
    'approval-expiry-subworkflow': {
      nodes: [
        trigger,
        { id: 'ask', type: 'approval', data: { approverRoles: ['manager'], expiresIn: '200ms' } },
        { id: 'child', type: 'subworkflow', data: { workflowId: childId, input: { n: '{{ input.n }}' } } },
        { id: 'fire', type: 'subworkflow', data: { workflowId: childId, wait: false } },
        { id: 'done', type: 'end', data: { output: { child: '{{ nodes.child.output }}' } } },
        { id: 'refused', type: 'end', data: { status: 'cancelled' } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'ask' },
        { id: 'e2', source: 'ask', sourceHandle: 'expired', target: 'child' },
        { id: 'e3', source: 'child', target: 'fire' },
        { id: 'e4', source: 'fire', target: 'done' },
        { id: 'e5', source: 'ask', sourceHandle: 'approved', target: 'refused' },
        { id: 'e6', source: 'ask', sourceHandle: 'rejected', target: 'refused' },
      ],
    },
    // Approvers asked in the background while the approval waits (reminders too); a failed POST closes its ledger
    // intent.
    'approval-reminders-http-failure': {
      nodes: [
        trigger,
        {
          id: 'post',
          type: 'action',
          data: {
            action: 'http',
            method: 'POST',
            url: `${url}/fail`,
            body: { n: '{{ input.n }}' },
            retry: { maximumAttempts: 1 },
          },
        },
        {
          id: 'ask',
          type: 'approval',
          data: { approverRoles: ['manager'], expiresIn: '300ms', reminderEvery: '100ms' },
        },
        { id: 'done', type: 'end', data: { output: { error: '{{ nodes.post.error.message }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'post' },
        { id: 'e2', source: 'post', sourceHandle: 'error', target: 'ask' },
        { id: 'e6', source: 'post', target: 'ask' },
        { id: 'e3', source: 'ask', sourceHandle: 'expired', target: 'done' },
        { id: 'e4', source: 'ask', sourceHandle: 'approved', target: 'done' },
        { id: 'e5', source: 'ask', sourceHandle: 'rejected', target: 'done' },
      ],
    },
    // Step records and an approval's closing written behind while the run moves on; the run's end waits for them.
    'projection-write-behind': {
      nodes: [
        trigger,
        { id: 'set', type: 'action', data: { action: 'set', vars: { n: '{{ input.n }}' } } },
        {
          id: 'ask',
          type: 'approval',
          data: { approverRoles: ['manager'], expiresIn: '200ms', notify: { channels: [] } },
        },
        { id: 'each', type: 'loop', data: { forEach: 'input.items', as: 'thing' } },
        { id: 'log', type: 'action', data: { action: 'log', message: '{{ thing }}' } },
        { id: 'done', type: 'end', data: { output: { n: '{{ vars.n }}', outcome: '{{ nodes.ask.output.outcome }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'set' },
        { id: 'e2', source: 'set', target: 'ask' },
        { id: 'e3', source: 'ask', sourceHandle: 'expired', target: 'each' },
        { id: 'e4', source: 'ask', sourceHandle: 'approved', target: 'each' },
        { id: 'e5', source: 'ask', sourceHandle: 'rejected', target: 'each' },
        { id: 'e6', source: 'each', sourceHandle: 'body', target: 'log' },
        { id: 'e7', source: 'log', target: 'each' },
        { id: 'e8', source: 'each', sourceHandle: 'done', target: 'done' },
      ],
    },
    // Step records carried by the calls (activities/carried-records.ts): a failed call's records written again by the
    // run, a branch's call left behind when another branch ends the run after a delay.
    'projection-rides-work': ridesWork,
    // The same graph since 'projection-start-rides': the run's start rides with its first call too.
    'projection-start-rides': ridesWork,
    // Nested loops of quick nodes: past its budget of work (workflows/pacing.ts) the run pauses between workflow tasks.
    'paced-long-stretch': {
      nodes: [
        trigger,
        { id: 'outer', type: 'loop', data: { forEach: 'input.items', as: 'a', maxIterations: 3 } },
        { id: 'middle', type: 'loop', data: { forEach: 'input.items', as: 'b', maxIterations: 3 } },
        { id: 'inner', type: 'loop', data: { forEach: 'input.items', as: 'c', maxIterations: 3 } },
        { id: 'note', type: 'action', data: { action: 'set', vars: { last: '{{ a }}{{ b }}{{ c }}' } } },
        { id: 'done', type: 'end', data: { output: { last: '{{ vars.last }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'outer' },
        { id: 'e2', source: 'outer', sourceHandle: 'body', target: 'middle' },
        { id: 'e3', source: 'middle', sourceHandle: 'body', target: 'inner' },
        { id: 'e4', source: 'inner', sourceHandle: 'body', target: 'note' },
        { id: 'e5', source: 'note', target: 'inner' },
        { id: 'e6', source: 'inner', sourceHandle: 'done', target: 'middle' },
        { id: 'e7', source: 'middle', sourceHandle: 'done', target: 'outer' },
        { id: 'e8', source: 'outer', sourceHandle: 'done', target: 'done' },
      ],
    },
  };
}

describe('replay', () => {
  it('replays every recorded history on the current workflow code', async () => {
    target.answer('/fail', 400, { error: 'refused' });
    const recorded: Array<{ workflowId: string; history: unknown }> = [];
    const child = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: {
        name: 'Replay child',
        definition: {
          nodes: [
            { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
            { id: 'e', type: 'end', data: { output: { n: '{{ input.n }}' } } },
          ],
          edges: [{ id: 'e1', source: 't', target: 'e' }],
        },
      },
    });
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${child.json().id}/publish` });
    for (const [name, definition] of Object.entries(graphs(target.url, child.json().id))) {
      const created = await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name, definition },
      });
      const id = created.json().id;
      expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
        201,
      );
      const runId = (
        await h.api(h.tenant.adminKey, {
          method: 'POST',
          url: `/api/workflows/${id}/runs`,
          payload: { input: { n: 2, items: ['a', 'b', 'c'] } },
        })
      ).json().runId;
      await settled(h, runId);
      const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
      expect(['completed', 'cancelled'], JSON.stringify(run.error)).toContain(run.status);
      const history = await h.temporal.workflow.getHandle(runId).fetchHistory();
      recorded.push({ workflowId: runId, history });
      recordHistory(name, runId);
    }

    const committed = readdirSync(fixtures).filter((f) => f.endsWith('.json'));
    expect(committed.length, 'no committed history fixtures: record them once with RECORD_HISTORIES=1').toBeGreaterThan(
      0,
    );
    const histories = [
      ...committed.map((f) => {
        const json = JSON.parse(readFileSync(path.join(fixtures, f), 'utf8')) as {
          workflowId?: string;
          history?: unknown;
          events?: unknown;
        };
        // The first fixtures are bare histories; later ones carry their workflow id.
        return json.events
          ? { workflowId: `fixture:${f}`, history: json as unknown }
          : { workflowId: json.workflowId!, history: json.history };
      }),
      ...recorded,
    ];
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('replay of a run that continued as new', () => {
  // Each history of the run: the first ends by continuing as new, the last starts from the checkpoint it carried.
  it('replays every generation: the one that handed over its checkpoint and the one that took it up', async () => {
    const long = await createHarness({ RUN_HISTORY_LIMIT: '300' });
    let polls = 0;
    const poller = await startHttpTarget((req) =>
      req.url === '/poll' ? { status: 200, body: { count: ++polls, done: polls >= 80 } } : undefined,
    );
    try {
      const runId = await publishAndRun(long, 'Poll while an approval waits', pollWhileApprovalWaits(poller.url), {});
      const generations = async () => (await generationsOf(long, runId)).map((g) => g.runId);
      await eventually(async () => ((await generations()).length > 1 ? true : undefined));
      const approval = (
        await long.api(long.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })
      ).json().items[0];
      const approver = await long.newUser(long.tenant, ['admin']);
      expect(
        (
          await long.api(approver.key, {
            method: 'POST',
            url: `/api/approvals/${approval.id}/decision`,
            payload: { decision: 'approve' },
          })
        ).statusCode,
      ).toBe(200);
      await settled(long, runId);
      expect((await long.api(long.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json().status).toBe(
        'completed',
      );
      const runs = await generations();
      expect(runs.length).toBeGreaterThan(1);
      const histories = await Promise.all(
        runs.map(async (executionRunId) => ({
          workflowId: runId,
          history: await long.temporal.workflow.getHandle(runId, executionRunId).fetchHistory(),
        })),
      );
      recordHistory('continued-as-new-first', runId, runs[0]);
      recordHistory('continued-as-new-last', runId, runs.at(-1));
      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        histories,
      )) {
        if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
      }
      expect(failures).toEqual([]);
    } finally {
      await Promise.all([poller.close(), long.close()]);
    }
  }, 180_000);
});
