/**
 * Fault 2: the Temporal server SIGKILLed while runs wait on approvals and on
 * timers (which come due during the outage), then started again.
 *
 * Promises: during the outage a decision, a run start and /readyz are refused
 * quickly with a 503 problem (never a hang); the same decision, retried with the
 * same Idempotency-Key once the server is back, succeeds; every run completes,
 * and no send is made twice.
 */
import { randomUUID } from 'node:crypto';
import { type Answer, call } from './api';
import { approvalNode, FAST_RETRY, type FaultContext, type FaultResult, httpNode, sleep, until } from './fault';
import { sendsByKey, waitForRuns } from './runs';

/** How long the API may take to refuse during the outage: its Temporal calls have a 2 s budget (temporal-client.ts). */
const REFUSAL_BUDGET_MS = 3000;

export async function serverKill(ctx: FaultContext): Promise<FaultResult> {
  const { cluster, api, target, quick } = ctx;
  const perKind = quick ? 10 : 50;
  const outageMs = quick ? 6000 : 10_000;
  const approvals = await api.publish('Chaos server kill: approvals', {
    configuration: FAST_RETRY,
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      approvalNode('ok'),
      httpNode('after-approval', target.url),
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'ok' },
      { id: 'e2', source: 'ok', sourceHandle: 'approved', target: 'after-approval' },
      { id: 'e3', source: 'after-approval', target: 'e' },
    ],
  });
  const timers = await api.publish('Chaos server kill: timers', {
    configuration: FAST_RETRY,
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'wait', type: 'delay', data: { duration: '3s' } },
      httpNode('after-timer', target.url),
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'wait' },
      { id: 'e2', source: 'wait', target: 'after-timer' },
      { id: 'e3', source: 'after-timer', target: 'e' },
    ],
  });

  const approvalRuns: string[] = [];
  for (let i = 0; i < perKind; i++) approvalRuns.push(await api.startRun(approvals));
  const mine = new Set(approvalRuns);
  const pendingOf = async () => (await api.pendingApprovals()).filter((a) => mine.has(a.instanceId));
  if (!(await until(async () => (await pendingOf()).length === perKind, 120_000)))
    throw new Error(`the ${perKind} approvals did not all become pending`);
  const pending = await pendingOf();
  // Their timers (3 s) come due while the server is down.
  const timerRuns: string[] = [];
  for (let i = 0; i < perKind; i++) timerRuns.push(await api.startRun(timers));

  ctx.log(`fault 2: ${perKind} runs wait on approvals, ${perKind} on timers; SIGKILL the Temporal server`);
  const server = cluster.temporal.current();
  await server.kill('SIGKILL');
  const downAt = performance.now();
  await sleep(300);

  // Decisions during the outage: half of the approvals, each with its own key.
  const keys = new Map(pending.map((a) => [a.id, `outage-${randomUUID()}`]));
  const duringOutage = await Promise.all(
    pending.slice(0, Math.ceil(perKind / 2)).map((a) => api.decide(a.id, keys.get(a.id)!)),
  );
  const readyz = await Promise.all(cluster.apis.map((a) => call(`${a.url}/readyz`, { timeoutMs: 15_000 })));
  const start = await call(`${api.url()}/api/workflows/${approvals}/runs`, {
    method: 'POST',
    key: api.key,
    body: {},
    timeoutMs: 15_000,
  });
  const refusals = [...duringOutage, ...readyz, start];
  const slowest = Math.max(...refusals.map((r) => r.ms));
  const problems: string[] = [];
  for (const r of duringOutage) {
    if (r.status !== 503 || !r.contentType.includes('application/problem+json'))
      problems.push(
        `a decision during the outage answered ${r.status} (${r.contentType}): ${JSON.stringify(r.body).slice(0, 300)}`,
      );
  }
  for (const r of readyz) if (r.status !== 503) problems.push(`/readyz during the outage answered ${r.status}`);
  if (start.status !== 503)
    problems.push(
      `a run start during the outage answered ${start.status}: ${JSON.stringify(start.body).slice(0, 300)}`,
    );
  if (slowest > REFUSAL_BUDGET_MS)
    problems.push(`the slowest refusal took ${slowest.toFixed(0)} ms (budget ${REFUSAL_BUDGET_MS} ms)`);

  await sleep(Math.max(0, outageMs - (performance.now() - downAt)));
  ctx.log('fault 2: starting the Temporal server again');
  const restartAt = performance.now();
  await cluster.temporal.restart();
  const restartSeconds = (performance.now() - restartAt) / 1000;
  const outageSeconds = (performance.now() - downAt) / 1000;

  // The same decisions again, same keys: the refusal was not remembered as the answer. All at once, a minute in all.
  const retried = await Promise.all(
    pending.map(async (a) => {
      let last: Answer | undefined;
      const ok = await until(async () => (last = await api.decide(a.id, keys.get(a.id)!)).status === 200, 60_000, 1000);
      if (!ok)
        problems.push(
          `approval ${a.id}: the retried decision still answered ${last?.status} a minute after the server came back: ${JSON.stringify(last?.body).slice(0, 300)}`,
        );
      return ok;
    }),
  );
  const retriedOk = retried.filter(Boolean).length;
  const outcome = await waitForRuns(ctx.temporal, [...approvalRuns, ...timerRuns], quick ? 180_000 : 600_000);
  problems.push(...outcome.problems.slice(0, 10));
  if (outcome.completed !== perKind * 2)
    problems.push(`${perKind * 2 - outcome.completed} of ${perKind * 2} runs did not complete`);
  const sends = target.received.filter((r) => r.url.startsWith('/after-'));
  const { byKey, duplicates } = sendsByKey(sends);
  if (byKey.size !== perKind * 2) problems.push(`the target saw ${byKey.size} distinct sends, expected ${perKind * 2}`);
  if (duplicates) problems.push(`${duplicates} sends were made twice (no worker died: there should be none)`);
  return {
    name: '2. Temporal server SIGKILLed and restarted',
    figures: [
      ['runs waiting on approvals / on timers', `${perKind} / ${perKind}`],
      ['outage (kill to serving again)', `${outageSeconds.toFixed(1)} s`],
      ['server restart to serving', `${restartSeconds.toFixed(1)} s`],
      [
        'decisions during the outage: 503s',
        `${duringOutage.filter((r) => r.status === 503).length} of ${duringOutage.length}`,
      ],
      ['/readyz during the outage', readyz.map((r) => `${r.status} in ${r.ms.toFixed(0)} ms`).join(', ')],
      ['run start during the outage', `${start.status} in ${start.ms.toFixed(0)} ms`],
      ['slowest refusal', `${slowest.toFixed(0)} ms`],
      ['decisions succeeding when retried (same key)', `${retriedOk} of ${pending.length}`],
      ['runs completed', `${outcome.completed} of ${perKind * 2}`],
      ['duplicated sends', duplicates],
    ],
    problems,
  };
}
