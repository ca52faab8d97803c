/**
 * Fault 1: workers SIGKILLed under load. Runs (HTTP steps, an approval decided
 * through the API, a delay) are in flight across three workers; one worker is
 * killed every few seconds and a new one started in its place.
 *
 * Promises: every run completes; no send is lost; a send is repeated only if it
 * was in flight at a kill. "In flight" is measured at the fake target: a key it
 * had received by 300 ms after the kill that the ledger did not yet call sent
 * just before it (across all workers, so an upper bound of the killed one's).
 */
import { eq } from 'drizzle-orm';
import { workflowNotifications } from '../../db/schema';
import { startApprover } from './api';
import { approvalNode, FAST_RETRY, type FaultContext, type FaultResult, httpNode, sleep, until } from './fault';
import { sendsByKey, waitForRuns } from './runs';

export async function workerKills(ctx: FaultContext): Promise<FaultResult> {
  const { cluster, api, target, quick } = ctx;
  const runs = quick ? 40 : 200;
  const kills = quick ? 4 : 10;
  const everyMs = quick ? 2500 : 3000;
  const definition = {
    configuration: FAST_RETRY,
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      httpNode('reserve', target.url),
      approvalNode('ok'),
      httpNode('charge', target.url),
      { id: 'wait', type: 'delay', data: { duration: '1s' } },
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'reserve' },
      { id: 'e2', source: 'reserve', target: 'ok' },
      { id: 'e3', source: 'ok', sourceHandle: 'approved', target: 'charge' },
      { id: 'e4', source: 'charge', target: 'wait' },
      { id: 'e5', source: 'wait', target: 'e' },
    ],
  };
  const workflowId = await api.publish('Chaos worker kills', definition);
  const received = () => target.received.filter((r) => r.url.startsWith('/reserve') || r.url.startsWith('/charge'));
  const approver = startApprover(api);

  ctx.log(`fault 1: starting ${runs} runs across ${cluster.workers.length} workers`);
  const runIds: string[] = [];
  const starting = (async () => {
    for (let i = 0; i < runs; i += 10)
      runIds.push(
        ...(await Promise.all(Array.from({ length: Math.min(10, runs - i) }, () => api.startRun(workflowId)))),
      );
  })();

  const inFlight = new Map<string, number>();
  let inFlightTotal = 0;
  // Only workers that poll are killed: a replacement still starting is not yet "a worker under load".
  const polling = cluster.workers.filter((w) => !w.exited());
  const replacements: Array<Promise<unknown>> = [];
  const killTimes: number[] = [];
  for (let kill = 0; kill < kills; kill++) {
    await sleep(everyMs);
    // A replacement takes seconds to poll (longer on a loaded machine): when none polls yet,
    // the next kill waits for one.
    if (!(await until(() => polling.length > 0, 120_000, 200)))
      throw new Error('no replacement worker polled within 120 s');
    const victim = polling.splice(kill % polling.length, 1)[0]!;
    killTimes.push(performance.now());
    const sent = new Set(
      (
        await ctx.database.db
          .select({ key: workflowNotifications.idempotencyKey })
          .from(workflowNotifications)
          .where(eq(workflowNotifications.status, 'sent'))
      ).map((r) => r.key),
    );
    await victim.kill('SIGKILL');
    // A new worker at once, as an orchestrator would; it takes a few seconds to poll.
    replacements.push(cluster.startWorker(cluster.workers.length).then((w) => polling.push(w)));
    await sleep(300);
    const keys = new Set(received().map((r) => String(r.headers['idempotency-key'] ?? '')));
    let here = 0;
    for (const key of keys) {
      if (!key || sent.has(key)) continue;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      here++;
    }
    inFlightTotal += here;
    ctx.log(
      `fault 1: kill ${kill + 1}/${kills} (${victim.name}); ${here} send(s) in flight, ${received().length} received so far`,
    );
  }
  await starting;
  await Promise.all(replacements);

  const outcome = await waitForRuns(ctx.temporal, runIds, quick ? 240_000 : 900_000);
  await approver.stop();
  const { byKey, duplicates } = sendsByKey(received());
  const problems = [...outcome.problems.slice(0, 10)];
  if (outcome.completed !== runs) problems.push(`${runs - outcome.completed} of ${runs} runs did not complete`);
  if (byKey.size !== runs * 2)
    problems.push(`the target saw ${byKey.size} distinct sends, expected ${runs * 2} (two per run): sends were lost`);
  if (duplicates > inFlightTotal)
    problems.push(`${duplicates} duplicated sends, more than the ${inFlightTotal} in flight at the kills`);
  for (const [key, n] of byKey) {
    if (n - 1 > (inFlight.get(key) ?? 0))
      problems.push(`send ${key} arrived ${n} times but was in flight at ${inFlight.get(key) ?? 0} kill(s)`);
  }
  return {
    name: '1. worker SIGKILLed under load',
    figures: [
      ['runs started / completed', `${runIds.length} / ${outcome.completed}`],
      ['workers (kept at)', 3],
      [
        'SIGKILLs (mean interval)',
        `${kills} (${((killTimes.at(-1)! - killTimes[0]!) / 1000 / Math.max(1, kills - 1)).toFixed(1)} s)`,
      ],
      ['sends received / distinct', `${received().length} / ${byKey.size}`],
      ['duplicated sends', duplicates],
      ['sends in flight at the kills (bound)', inFlightTotal],
      ['approvals decided through the API (refusals retried)', `${approver.decided()} (${approver.refused()})`],
      ['time to drain after the last kill', `${outcome.seconds.toFixed(1)} s`],
    ],
    problems,
  };
}
