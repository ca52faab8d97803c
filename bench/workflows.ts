/**
 * The benchmarks' workflow bundle: the platform's runGraph, and hand-written
 * baselines doing the same work without the interpreter and projection.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';

export { runGraph } from '../workflows';

// Bounded, so a baseline that cannot succeed fails its run in seconds instead of retrying for ever.
const { httpRequest } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '200 ms', maximumInterval: '1 second' },
});

/** Where the baseline's call is recorded: the intent ledger keys every non-GET call by a real tenant and run. */
export interface LedgerScope {
  tenantId: string;
  runId: string;
  /** Unique per call: a repeated key would answer the stored response without calling. */
  idempotencyKey: string;
}

/**
 * `calls` times an HTTP call and a branch on its answer (once by default): the run-latency baseline, doing what the
 * graph of as many segments does. Each call is its own ledger entry, as each http node's is.
 */
export async function handWritten(
  url: string,
  level: string,
  scope: LedgerScope,
  calls = 1,
): Promise<{ route: string }> {
  let route = '';
  for (let k = 1; k <= calls; k++) {
    const key = calls === 1 ? scope.idempotencyKey : `${scope.idempotencyKey}:${k}`;
    const { output } = await httpRequest({ ...scope, idempotencyKey: key, method: 'POST', url, body: { level } });
    const score = (output.body as { score?: number }).score ?? 0;
    route = score > 5 ? 'high' : 'low';
  }
  return { route };
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
