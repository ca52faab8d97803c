/**
 * Approval concurrency (issue 16, target 6): 50 deciders at once, each deciding its share of waiting approvals one
 * after another through the API, timed from the decision request to its answer. Against the same number of callers
 * sending a bare `executeUpdate` to hand-written workflows, and a third row sending the same Update to runGraph
 * directly (no HTTP, no auth, no approval lookup): the engine's share at that concurrency, apart from the API's.
 *
 * Target: API p95 < 250 ms, printed as met or MISSED (absolute times move with the machine's load; the ratios less).
 *
 * Its runs (twice deciders × decisions each, plus as many baselines) outnumber the worker's cache
 * (WORKER_MAX_CACHED_RUNS, 250 by default), so many decisions find their run evicted and replay it first; the title
 * names the setting, and the histories printed last show where each decision's workflow task spent its time.
 *
 * BENCH_QUICK=1: 10 deciders, one decision each. BENCH_DECIDERS and BENCH_DECISIONS_EACH: other sizes.
 */
import { printDecisionTasks } from './approval-histories';
import { inParallel, setUpApprovalBench } from './approval-setup';
import { percentile, QUICK, report, startBenchEnvironment } from './environment';
import { decideUpdate } from '../workflows/messages';
import { maxCachedRuns } from '../worker';
import { bareDecide } from './workflows';

const DECIDERS = Number(process.env.BENCH_DECIDERS ?? (QUICK ? 10 : 50));
const EACH = Number(process.env.BENCH_DECISIONS_EACH ?? (QUICK ? 1 : 6));
const API_P95_MS = 250;
/** How many runs the setup starts at once: setting up is not what is measured. */
const SETUP_PARALLEL = 8;

/** Each of `deciders` callers decides its own `each` items one after another; answers every decision's time in ms. */
async function decideConcurrently(items: string[], decide: (item: string) => Promise<void>): Promise<number[]> {
  const shares = Array.from({ length: DECIDERS }, (_, d) => items.slice(d * EACH, (d + 1) * EACH));
  const times = await Promise.all(
    shares.map(async (share) => {
      const took: number[] = [];
      for (const item of share) {
        const t0 = performance.now();
        await decide(item);
        took.push(performance.now() - t0);
      }
      return took;
    }),
  );
  return times.flat();
}

/** About 20 of `items`, spread over every decider's share. */
const spread = <T>(items: T[]) => items.filter((_, i) => i % Math.max(1, Math.floor(items.length / 20)) === 0);

export async function approvalConcurrencyBench(): Promise<void> {
  // The limiter stays on the path, as in production, but its default (600 a minute a key) would refuse the set-up's
  // hundreds of starts and look-ups: what is measured is deciding, not the limit.
  const env = await startBenchEnvironment({ RATE_LIMIT_PER_MINUTE: '1000000' });
  const { app, client, database } = env;
  const n = DECIDERS * EACH;
  const { manager, asManager, waitingRuns, bareWaiting } = await setUpApprovalBench(env);
  const viaApi = await waitingRuns(n, SETUP_PARALLEL);
  const direct = await waitingRuns(n, SETUP_PARALLEL);
  const bare = await bareWaiting(n);
  const approvalOfRun = new Map(direct.runs.map((run, i) => [run, direct.approvals[i]!]));

  const ours = await decideConcurrently(viaApi.approvals, async (approvalId) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      headers: asManager,
      payload: { decision: 'approve' },
    });
    if (res.statusCode !== 200) throw new Error(`decision failed (${res.statusCode}): ${res.body}`);
  });
  const engine = await decideConcurrently(direct.runs, async (runId) => {
    await client.workflow.getHandle(runId).executeUpdate(decideUpdate, {
      args: [
        {
          approvalId: approvalOfRun.get(runId)!,
          decision: 'approve',
          actor: { userId: manager.id, email: manager.email, roles: ['manager'] },
        },
      ],
    });
  });
  const base = await decideConcurrently(bare, async (id) => {
    await client.workflow.getHandle(id).executeUpdate(bareDecide, { args: ['approve'] });
  });
  // Every run decided goes on to its end: a decision the API answered but the run never took would show here.
  await inParallel(viaApi.runs, SETUP_PARALLEL, (runId) => client.workflow.getHandle(runId).result());

  report(
    `approval-concurrency: ${DECIDERS} deciders at once, ${EACH} decision(s) each, request → answer ` +
      `(${database.kind} PostgreSQL, WORKER_MAX_CACHED_RUNS ${maxCachedRuns()})${QUICK ? ' (quick)' : ''}`,
    [
      ['decision via API + runGraph', ours],
      ['executeUpdate on runGraph (no API)', engine],
      ['bare executeUpdate, hand-written workflow', base],
    ],
  );
  const p95 = percentile(
    [...ours].sort((a, b) => a - b),
    95,
  );
  console.log(`target: API p95 < ${API_P95_MS} ms: ${p95 < API_P95_MS ? 'met' : 'MISSED'} (${p95.toFixed(1)} ms)`);
  // Where the time went, from a sample of the histories (see approval-histories.ts).
  console.log('\nthe workflow task that took each decision (about 20 runs a row, spread over the deciders):');
  await printDecisionTasks(client, 'decision via API + runGraph', spread(viaApi.runs));
  await printDecisionTasks(client, 'executeUpdate on runGraph (no API)', spread(direct.runs));
  await printDecisionTasks(client, 'bare executeUpdate, hand-written', spread(bare));
  await env.close();
}
