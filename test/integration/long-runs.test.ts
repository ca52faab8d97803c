/**
 * Long runs: a loop over 2,000 items and a cycle of 500 visits complete, and
 * no single history grows past the limit: the run continues as new, carrying
 * its state, with the same run id, API view, query and approvals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, generationsOf, type Harness, publishAndRun, settled } from '../harness';
import { pollWhileApprovalWaits } from '../support/graphs';
import { startHttpTarget } from '../support/http-target';

// The lowest limit allowed: a loop of pure nodes writes its steps in batches, a few history events per workflow task.
const LIMIT = 200;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ RUN_HISTORY_LIMIT: String(LIMIT) });
});
afterAll(async () => {
  await h?.close();
});

const trigger = { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } };

/** The history length of each Temporal run of a run id. */
const generations = async (runId: string) => (await generationsOf(h, runId)).map((g) => g.historyLength);

describe('long runs', () => {
  it('a loop over 2,000 items completes across several histories, none longer than the limit', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const runId = await publishAndRun(
      h,
      'Big loop',
      {
        nodes: [
          trigger,
          { id: 'each', type: 'loop', data: { forEach: 'input.items', as: 'n', maxIterations: 5000 } },
          { id: 'double', type: 'action', data: { action: 'set', vars: { last: '{{ n }}' } } },
          {
            id: 'e',
            type: 'end',
            data: {
              output: {
                count: '{{ nodes.each.output.length }}',
                last: '{{ vars.last }}',
                first: '{{ nodes.each.output[0].last }}',
              },
            },
          },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'each' },
          { id: 'e2', source: 'each', sourceHandle: 'body', target: 'double' },
          { id: 'e3', source: 'double', target: 'each' },
          { id: 'e4', source: 'each', sourceHandle: 'done', target: 'e' },
        ],
      },
      { items },
    );
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status, JSON.stringify(run.error)).toBe('completed');
    expect(run.output).toEqual({ count: 2000, last: 1999, first: 0 });
    expect(run.steps.filter((s: { nodeId: string }) => s.nodeId === 'double')).toHaveLength(2000);
    const lengths = await eventually(async () => {
      const l = await generations(runId);
      return l.length > 1 ? l : undefined;
    });
    // A little slack past the limit: work in flight finishes before the run continues.
    for (const length of lengths) expect(length).toBeLessThan(LIMIT + 200);
  }, 240_000);

  it('a cycle of 500 visits completes, and an approval waiting across continue-as-new is still decided', async () => {
    let polls = 0;
    const target = await startHttpTarget((req) => {
      if (req.url !== '/poll') return undefined;
      polls++;
      return { status: 200, body: { count: polls, done: polls >= 500 } };
    });
    try {
      const runId = await publishAndRun(h, 'Poll until ready', pollWhileApprovalWaits(target.url), {});
      // Wait for the run to have continued as new at least once while the approval waits.
      await eventually(async () => ((await generations(runId)).length > 1 ? true : undefined));
      const approval = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json()
        .items[0];
      const state = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/state` })).json();
      expect(state.pendingApprovals.map((a: { approvalId: string }) => a.approvalId)).toEqual([approval.id]);
      const approver = await h.newUser(h.tenant, ['admin']);
      const decided = await h.api(approver.key, {
        method: 'POST',
        url: `/api/approvals/${approval.id}/decision`,
        payload: { decision: 'approve' },
      });
      expect(decided.statusCode, decided.body).toBe(200);
      await settled(h, runId);
      const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
      expect(run.status, JSON.stringify(run.error)).toBe('completed');
      expect(run.output).toEqual({ outcome: 'approved', polls: 500 });
      // Each poll ran once: nothing was repeated by continuing as new.
      expect(polls).toBe(500);
      expect(run.steps.filter((s: { nodeId: string }) => s.nodeId === 'poll')).toHaveLength(500);
      expect(run.approvals).toHaveLength(1);
      for (const length of await generations(runId)) expect(length).toBeLessThan(LIMIT + 200);
    } finally {
      await target.close();
    }
  }, 240_000);
});
