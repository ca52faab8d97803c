/**
 * Approval latency: 200 approvals decided through the API, timed from the
 * decision request to the start of the node after the approval; against a
 * bare `executeUpdate` on a hand-written workflow, timed from the request to
 * the moment that workflow moved on. A third row sends the same Update to
 * runGraph directly (no HTTP, no auth, no approval lookup): the engine's own
 * share, apart from the API's.
 *
 * BENCH_QUICK=1: five approvals.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { workflowExecutions } from '../db/schema';
import { QUICK, report, startBenchEnvironment } from './environment';
import { decideUpdate } from '../workflows/messages';
import { bareDecide } from './workflows';

const N = Number(process.env.BENCH_APPROVALS ?? (QUICK ? 5 : 200));

export async function approvalLatencyBench(): Promise<void> {
  const env = await startBenchEnvironment();
  const { app, client, auth, database } = env;
  const definition = {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      // Approvers are not emailed here: the bench measures the decision path, not SMTP.
      { id: 'ask', type: 'approval', data: { approverRoles: ['manager'], notify: { channels: [] } } },
      { id: 'next', type: 'action', data: { action: 'set', vars: { done: true } } },
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'ask' },
      { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'next' },
      { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'e' },
      { id: 'e4', source: 'next', target: 'e' },
    ],
  };
  const workflowId = (
    await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: { name: 'Approval bench', definition },
    })
  ).json().id as string;
  await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });
  const manager = (
    await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: auth,
      payload: { email: 'manager@bench.local', name: 'M', roles: ['manager'] },
    })
  ).json();
  const managerKey = (
    await app.inject({ method: 'POST', url: '/api/api-keys', headers: auth, payload: { userId: manager.id } })
  ).json().key as string;
  const asManager = { authorization: `Bearer ${managerKey}` };

  // Every run waits on its approval before the clock starts.
  const waitingRuns = async () => {
    const runs: string[] = [];
    for (let i = 0; i < N; i++)
      runs.push(
        (
          await app.inject({
            method: 'POST',
            url: `/api/workflows/${workflowId}/runs`,
            headers: auth,
            payload: { input: {} },
          })
        ).json().runId,
      );
    const approvals: string[] = [];
    for (const runId of runs) {
      for (;;) {
        const item = (await app.inject({ method: 'GET', url: `/api/approvals?runId=${runId}`, headers: auth })).json()
          .items[0];
        if (item) {
          approvals.push(item.id);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return { runs, approvals };
  };
  const { runs, approvals } = await waitingRuns();
  const direct = await waitingRuns();
  const nextStarted = async (runId: string) => {
    for (;;) {
      const at = (
        await database.db
          .select({ at: workflowExecutions.startedAt })
          .from(workflowExecutions)
          .where(and(eq(workflowExecutions.instanceId, runId), eq(workflowExecutions.nodeId, 'next')))
          .limit(1)
      )[0]?.at;
      if (at) return at.getTime();
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const bare: string[] = [];
  for (let i = 0; i < N; i++) {
    const id = `bare-${randomUUID()}`;
    await client.workflow.start('bareApproval', { taskQueue: env.taskQueue, workflowId: id });
    bare.push(id);
  }

  const ours: number[] = [];
  const engine: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = Date.now();
    const res = await app.inject({
      method: 'POST',
      url: `/api/approvals/${approvals[i]}/decision`,
      headers: asManager,
      payload: { decision: 'approve' },
    });
    if (res.statusCode !== 200) throw new Error(`decision failed: ${res.body}`);
    ours.push((await nextStarted(runs[i]!)) - t0);

    const e0 = Date.now();
    await client.workflow.getHandle(direct.runs[i]!).executeUpdate(decideUpdate, {
      args: [
        {
          approvalId: direct.approvals[i]!,
          decision: 'approve',
          actor: { userId: manager.id, email: manager.email, roles: ['manager'] },
        },
      ],
    });
    engine.push((await nextStarted(direct.runs[i]!)) - e0);

    const b0 = Date.now();
    const handle = client.workflow.getHandle(bare[i]!);
    await handle.executeUpdate(bareDecide, { args: ['approve'] });
    base.push((await handle.result()) - b0);
  }
  report(
    `approval-latency: ${N} approvals, decision request → next node starts (${database.kind} PostgreSQL)${QUICK ? ' (quick)' : ''}`,
    [
      ['decision via API + runGraph', ours],
      ['executeUpdate on runGraph (no API)', engine],
      ['bare executeUpdate, hand-written workflow', base],
    ],
  );
  await env.close();
}
