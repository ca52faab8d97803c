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
import { setUpApprovalBench } from './approval-setup';
import { QUICK, report, startBenchEnvironment } from './environment';
import { decideUpdate } from '../workflows/messages';
import { bareDecide } from './workflows';

const N = Number(process.env.BENCH_APPROVALS ?? (QUICK ? 5 : 200));

export async function approvalLatencyBench(): Promise<void> {
  const env = await startBenchEnvironment();
  const { client, database } = env;
  const { manager, asManager, waitingRuns, bareWaiting, nextStarted } = await setUpApprovalBench(env);
  const { runs, approvals } = await waitingRuns(N);
  const direct = await waitingRuns(N);
  const bare = await bareWaiting(N);

  const ours: number[] = [];
  const engine: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = Date.now();
    const res = await env.app.inject({
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
