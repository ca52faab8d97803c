/**
 * Workflows that call one activity with the input given, under a retry policy that would retry: a test sees
 * through the history whether a failure was retried. Bundled by the test that starts its worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { HttpRequestInput } from '../../activities/http';
import type { MessageInput } from '../../activities/messaging';

const activities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second', backoffCoefficient: 1 },
});

export async function probeHttpRequest(input: HttpRequestInput): Promise<unknown> {
  return activities.httpRequest(input);
}

export async function probeSendMessage(input: MessageInput): Promise<unknown> {
  return activities.sendMessage(input);
}
