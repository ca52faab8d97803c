/**
 * The API's Temporal client: every call has a deadline, and retries of an
 * unreachable server stop when it passes, so a Temporal outage answers a 503
 * in about two seconds instead of hanging a request for twenty.
 */
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** How long an ordinary call (start, describe, signal, list) may take, server retries included. */
export const TEMPORAL_CALL_DEADLINE_MS = 2000;
/**
 * Calls that wait for a worker to act (an Update's outcome, a query) get longer; a server
 * that does not answer at all still fails them after TEMPORAL_CALL_DEADLINE_MS (below).
 */
export const TEMPORAL_WORKER_WAIT_DEADLINE_MS = 15_000;
const WAITS_FOR_WORKER = /\/(UpdateWorkflowExecution|PollWorkflowExecutionUpdate|QueryWorkflow|ExecuteMultiOperation)$/;

/**
 * The SDK's own retry (UNAVAILABLE and friends, with backoff), bounded twice: by the call's
 * deadline, and by a budget of TEMPORAL_CALL_DEADLINE_MS for retrying an unreachable server.
 */
export function deadlineInterceptor(
  callDeadlineMs = TEMPORAL_CALL_DEADLINE_MS,
  workerWaitMs = TEMPORAL_WORKER_WAIT_DEADLINE_MS,
): Interceptor {
  const retry = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const started = Date.now();
    const waits = WAITS_FOR_WORKER.test(options.method_definition.path);
    // A deadline set by the caller (`connection.withDeadline`) wins.
    const deadline = options.deadline ?? started + (waits ? workerWaitMs : callDeadlineMs);
    const retryBudgetEnds = started + callDeadlineMs;
    const bounded = makeGrpcRetryInterceptor({
      delayFunction: retry.delayFunction,
      retryableDecider: (attempt, status) => {
        if (!retry.retryableDecider(attempt, status)) return false;
        const next = Date.now() + retry.delayFunction(attempt, status);
        return next < retryBudgetEnds && next < Number(deadline);
      },
    });
    return bounded({ ...options, deadline }, nextCall);
  };
}

/** Connects the API's client; the connection reconnects by itself after the server comes back. */
export async function connectTemporalClient(
  address: string,
  namespace: string,
): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address, interceptors: [deadlineInterceptor()] });
  return { client: new Client({ connection, namespace }), connection };
}
