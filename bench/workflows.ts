/**
 * The benchmarks' workflow bundle: the platform's runGraph, and hand-written
 * baselines doing the same work without the interpreter and projection.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';

export { runGraph } from '../workflows';

const { httpRequest } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

/** One HTTP call, then a branch: the run-latency baseline. */
export async function handWritten(url: string, level: string): Promise<{ route: string }> {
  const { output } = await httpRequest({ tenantId: 'bench', runId: 'bench', idempotencyKey: 'bench', method: 'POST', url, body: { level } });
  const score = (output.body as { score?: number }).score ?? 0;
  return { route: score > 5 ? 'high' : 'low' };
}

export const bareDecide = defineUpdate<string, [string]>('bareDecide');

/** Waits for one Update, then answers the time it moved on: the approval-latency baseline. */
export async function bareApproval(): Promise<number> {
  let decision: string | undefined;
  setHandler(bareDecide, (d: string) => {
    decision = d;
    return 'recorded';
  });
  await condition(() => decision !== undefined);
  return Date.now();
}

/** Does nothing: the webhook-intake baseline starts it. */
export async function noop(): Promise<void> {}
