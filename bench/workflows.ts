/**
 * The bench's workflow bundle: the platform's runGraph, and the baseline — a
 * hand-written workflow doing the same work (one HTTP activity, then a
 * branch) with no interpreter and no projection writes.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export { runGraph } from '../workflows';

const { httpRequest } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function handWritten(url: string, level: string): Promise<{ route: string }> {
  const { output } = await httpRequest({ tenantId: 'bench', runId: 'bench', idempotencyKey: 'bench', method: 'POST', url, body: { level } });
  const score = (output.body as { score?: number }).score ?? 0;
  return { route: score > 5 ? 'high' : 'low' };
}
