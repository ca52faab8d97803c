/**
 * Fault 4: an API process SIGKILLed while a webhook delivery is in its hands.
 * The sender sees its connection cut (or, when the kill came late, an answer)
 * and retries the same delivery, signed bytes and delivery id unchanged, at
 * the other API; the killed one is started again before the next round.
 *
 * Promise: each delivery yields exactly one run, however far the first attempt got.
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { workflowInstances } from '../../db/schema';
import { signGeneric } from '../../lib/webhook-signature';
import { call, type Answer } from './api';
import { type FaultContext, type FaultResult, sleep, until } from './fault';
import { waitForRuns } from './runs';

/** Kill delays after the delivery is sent: from before the API has read it to after it has started the run. */
const DELAYS_MS = [0, 5, 15, 30, 60, 120];

export async function apiKill(ctx: FaultContext): Promise<FaultResult> {
  const { cluster, api, quick } = ctx;
  const rounds = quick ? 4 : 12;
  const hookPath = `chaos-${randomUUID().slice(0, 8)}`;
  const workflowId = await api.publish('Chaos API kill', {
    nodes: [
      {
        id: 'hook',
        type: 'trigger',
        data: { trigger: { type: 'webhook', path: hookPath, secretRef: 'CHAOS_HOOK_SECRET' } },
      },
      { id: 'e', type: 'end', data: { output: { order: '{{ input.order }}' } } },
    ],
    edges: [{ id: 'e1', source: 'hook', target: 'e' }],
  });
  const listed = await api.expect('/api/webhooks', {}, 200);
  const hookUrlPath = new RegExp(`/hooks/[0-9a-f-]{36}/${hookPath}`).exec(JSON.stringify(listed.body))?.[0];
  if (!hookUrlPath) throw new Error(`GET /api/webhooks does not list the trigger ${hookPath}`);

  const problems: string[] = [];
  const runIds = new Set<string>();
  let cut = 0;
  let answeredFirst = 0;
  for (let round = 0; round < rounds; round++) {
    const victimIndex = round % cluster.apis.length;
    const victim = cluster.apis[victimIndex]!;
    const other = cluster.apis[(victimIndex + 1) % cluster.apis.length]!;
    const body = JSON.stringify({ order: `order-${round}` });
    const headers = {
      'content-type': 'application/json',
      'x-delivery-id': `delivery-${round}-${randomUUID()}`,
      ...signGeneric(ctx.hookSecret, body, Math.floor(Date.now() / 1000)),
    };
    const deliver = (url: string) => call(`${url}${hookUrlPath}`, { method: 'POST', body, headers, timeoutMs: 15_000 });

    const first = deliver(victim.url);
    await sleep(DELAYS_MS[round % DELAYS_MS.length]!);
    await victim.process.kill('SIGKILL');
    const firstAnswer = await first;
    if (firstAnswer.status === 0) cut++;
    else answeredFirst++;

    // The sender's retry: same bytes, same headers, the other API, until it is accepted.
    let retry: Answer | undefined;
    await until(
      async () => {
        retry = await deliver(other.url);
        return retry.status === 200 || retry.status === 202;
      },
      30_000,
      500,
    );
    if (!retry || (retry.status !== 200 && retry.status !== 202)) {
      problems.push(
        `round ${round}: the retried delivery answered ${retry?.status}: ${JSON.stringify(retry?.body).slice(0, 300)}`,
      );
    } else {
      const runId = (retry.body as { runId: string }).runId;
      runIds.add(runId);
      const firstRun = (firstAnswer.body as { runId?: string } | undefined)?.runId;
      if ((firstAnswer.status === 202 || firstAnswer.status === 200) && firstRun !== runId)
        problems.push(`round ${round}: the first attempt answered run ${firstRun}, the retry run ${runId}`);
    }
    ctx.log(
      `fault 4: round ${round + 1}/${rounds}: first attempt ${firstAnswer.status || 'cut'}, retry ${retry?.status}`,
    );
    await cluster.startApi(victimIndex);
  }

  const outcome = await waitForRuns(ctx.temporal, [...runIds], 120_000);
  problems.push(...outcome.problems.slice(0, 10));
  const [projected] = await ctx.database.db
    .select({ n: count() })
    .from(workflowInstances)
    .where(eq(workflowInstances.workflowId, workflowId));
  let visible = 0;
  await until(
    async () => (visible = (await ctx.temporal.workflow.count(`GraphWorkflowId = '${workflowId}'`)).count) >= rounds,
    30_000,
  );
  if (runIds.size !== rounds) problems.push(`${rounds} deliveries answered ${runIds.size} distinct runs`);
  if (visible !== rounds) problems.push(`Temporal ran ${visible} runs for ${rounds} deliveries`);
  if (projected!.n !== rounds) problems.push(`the projection holds ${projected!.n} runs for ${rounds} deliveries`);
  return {
    name: '4. API SIGKILLed mid-webhook',
    figures: [
      ['deliveries (each retried at the other API)', rounds],
      ['first attempts cut / answered before the kill', `${cut} / ${answeredFirst}`],
      ['runs in Temporal / in the projection', `${visible} / ${projected!.n}`],
      ['runs completed', `${outcome.completed} of ${runIds.size}`],
    ],
    problems,
  };
}
