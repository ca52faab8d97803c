/**
 * The throughput bench's baseline: the same work as its 5-node graph (keep the level, POST it to the scorer,
 * branch on the score, answer a route), written by hand as a Temporal workflow, without the interpreter and the
 * projection. Its own bundle and task queue: `npm start`'s worker does not carry it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './throughput-baseline';

// Bounded, as the graph's http node is, so a scorer that cannot answer fails the run instead of retrying for ever.
const { postScore } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '200 ms', maximumInterval: '1 second' },
});

export async function throughputBaseline(url: string, level: string): Promise<Record<string, unknown>> {
  const vars = { level };
  const { score } = await postScore(url, { level: vars.level });
  return score > 5 ? { route: 'high', score } : { route: 'low', note: `score was ${score}` };
}
