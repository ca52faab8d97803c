/**
 * Fault 3: PostgreSQL stopped under load and started again. It holds the
 * platform's database and Temporal's, so everything waits on it.
 *
 * Promises: while it is down every API answers a 503 within 2 s (/readyz and a
 * request that reads the database), and nothing hangs; once it is back every
 * run completes, and the projection catches up: its counts of runs, steps and
 * approvals agree with what Temporal's visibility says ran (0 rows lost).
 */
import { and, count, eq, inArray } from 'drizzle-orm';
import { workflowApprovals, workflowExecutions, workflowInstances } from '../../db/schema';
import { call, startApprover } from './api';
import { approvalNode, FAST_RETRY, type FaultContext, type FaultResult, httpNode, sleep, until } from './fault';
import { waitForRuns } from './runs';

const BUDGET_MS = 2000;
/** Steps each run of the graph below records: trigger, two HTTP calls, the approval, the end. */
const STEPS_PER_RUN = 5;

export async function postgresRestart(ctx: FaultContext): Promise<FaultResult> {
  const { cluster, api, target, quick } = ctx;
  if (!cluster.postgres.owned)
    return {
      name: '3. PostgreSQL restarted under load',
      figures: [['skipped', "DATABASE_URL is not the cluster's to restart"]],
      problems: [],
    };
  const runs = quick ? 30 : 150;
  const downMs = quick ? 5000 : 10_000;
  const workflowId = await api.publish('Chaos postgres restart', {
    configuration: FAST_RETRY,
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      httpNode('pg-before', target.url),
      approvalNode('ok'),
      httpNode('pg-after', target.url),
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'pg-before' },
      { id: 'e2', source: 'pg-before', target: 'ok' },
      { id: 'e3', source: 'ok', sourceHandle: 'approved', target: 'pg-after' },
      { id: 'e4', source: 'pg-after', target: 'e' },
    ],
  });
  const approver = startApprover(api);
  const runIds: string[] = [];
  for (let i = 0; i < runs; i += 10)
    runIds.push(...(await Promise.all(Array.from({ length: Math.min(10, runs - i) }, () => api.startRun(workflowId)))));
  // Under load: some runs have sent, some wait on their approval, some are mid-step.
  await sleep(1500);

  ctx.log(`fault 3: ${runs} runs in flight; stopping PostgreSQL`);
  const stopAt = performance.now();
  await cluster.postgres.stop('fast');
  const probes: Array<{ what: string; status: number; ms: number }> = [];
  while (performance.now() - stopAt < downMs) {
    const answers = await Promise.all(
      cluster.apis.flatMap((a) => [
        call(`${a.url}/readyz`, { timeoutMs: 15_000 }).then((r) => ({
          what: `${a.url} /readyz`,
          status: r.status,
          ms: r.ms,
        })),
        call(`${a.url}/api/runs?limit=5`, { key: api.key, timeoutMs: 15_000 }).then((r) => ({
          what: `${a.url} GET /api/runs`,
          status: r.status,
          ms: r.ms,
        })),
      ]),
    );
    probes.push(...answers);
    await sleep(500);
  }
  ctx.log('fault 3: starting PostgreSQL again');
  await cluster.postgres.start();
  const downSeconds = (performance.now() - stopAt) / 1000;
  const problems: string[] = [];
  const wrong = probes.filter((p) => p.status !== 503);
  const slow = probes.filter((p) => p.ms > BUDGET_MS);
  // The first probe may land before the APIs have noticed; every later one must be a quick 503.
  if (wrong.length)
    problems.push(
      `${wrong.length} of ${probes.length} requests during the outage were not 503: ${wrong
        .slice(0, 3)
        .map((p) => `${p.what} → ${p.status}`)
        .join('; ')}`,
    );
  if (slow.length)
    problems.push(
      `${slow.length} of ${probes.length} requests during the outage took over ${BUDGET_MS} ms (slowest ${Math.max(...slow.map((p) => p.ms)).toFixed(0)} ms)`,
    );

  const outcome = await waitForRuns(ctx.temporal, runIds, quick ? 240_000 : 900_000);
  await approver.stop();
  problems.push(...outcome.problems.slice(0, 10));
  if (outcome.completed !== runs) problems.push(`${runs - outcome.completed} of ${runs} runs did not complete`);

  // Temporal's visibility says which runs completed; the projection must show each,
  // with all its steps and its approval.
  const countVisible = async () =>
    (await ctx.temporal.workflow.count(`GraphWorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'`)).count;
  const projected = async () => {
    const db = ctx.database.db;
    const completed = (
      await db
        .select({ id: workflowInstances.id })
        .from(workflowInstances)
        .where(and(eq(workflowInstances.workflowId, workflowId), eq(workflowInstances.status, 'completed')))
    ).map((r) => r.id);
    const instances = { n: completed.length };
    const [steps] = completed.length
      ? await db
          .select({ n: count() })
          .from(workflowExecutions)
          .where(inArray(workflowExecutions.instanceId, completed))
      : [{ n: 0 }];
    const [approvals] = completed.length
      ? await db
          .select({ n: count() })
          .from(workflowApprovals)
          .where(and(inArray(workflowApprovals.instanceId, completed), eq(workflowApprovals.status, 'approved')))
      : [{ n: 0 }];
    return { runs: instances.n, steps: steps!.n, approvals: approvals!.n };
  };
  const catchUpAt = performance.now();
  let visible = 0;
  let last = { runs: 0, steps: 0, approvals: 0 };
  const agreed = await until(
    async () => {
      visible = await countVisible();
      last = await projected();
      return (
        last.runs === visible &&
        last.steps === visible * STEPS_PER_RUN &&
        last.approvals === visible &&
        visible === outcome.completed
      );
    },
    60_000,
    1000,
  );
  if (!agreed)
    problems.push(
      `the projection did not catch up: visibility ${visible} completed; projection ${last.runs} runs, ${last.steps} steps (expected ${visible * STEPS_PER_RUN}), ${last.approvals} approvals`,
    );
  return {
    name: '3. PostgreSQL restarted under load',
    figures: [
      ['runs in flight', runs],
      ['PostgreSQL down for', `${downSeconds.toFixed(1)} s`],
      ['requests during the outage: 503 / all', `${probes.filter((p) => p.status === 503).length} / ${probes.length}`],
      ['slowest answer during the outage', `${Math.max(...probes.map((p) => p.ms)).toFixed(0)} ms`],
      ['runs completed', `${outcome.completed} of ${runs}`],
      ['Temporal visibility: completed', visible],
      ['projection of completed runs: runs / steps / approvals', `${last.runs} / ${last.steps} / ${last.approvals}`],
      ['projection caught up in', `${((performance.now() - catchUpAt) / 1000).toFixed(1)} s after the runs closed`],
    ],
    problems,
  };
}
