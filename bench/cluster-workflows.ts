/**
 * The cluster benchmark's workflow bundle: runGraph and the other baselines
 * (bench/workflows.ts), plus the hand-written twin of its five-step graph.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LedgerScope } from './workflows';

export * from './workflows';

// As bench/workflows.ts: bounded, so a baseline that cannot succeed fails in seconds.
const { httpRequest } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '200 ms', maximumInterval: '1 second' },
});

/** Five HTTP calls in a row, each through the ledger under a key of its own, as the graph's five steps are. */
export async function handWrittenFive(url: string, scope: LedgerScope): Promise<void> {
  for (let step = 1; step <= 5; step++)
    await httpRequest({
      ...scope,
      idempotencyKey: `${scope.idempotencyKey}:${step}`,
      method: 'POST',
      url,
      body: { step },
    });
}
