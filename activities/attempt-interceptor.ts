/**
 * Names the attempt on every activity failure, so a failed step shows how many attempts it really took: Temporal
 * tells the workflow why an activity stopped retrying, not after how many attempts (workflows/work-routing.ts reads
 * it back). The failure keeps its message, type and retryability; the attempt rides in its details.
 */
import { ApplicationFailure, type ApplicationFailureOptions } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export const attemptInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw withAttempt(error, ctx.info.attempt);
      }
    },
  },
});

function withAttempt(error: unknown, attempt: number): unknown {
  const detail = { graphflowAttempt: attempt };
  if (error instanceof ApplicationFailure) {
    const options: ApplicationFailureOptions = {
      message: error.message,
      type: error.type ?? undefined,
      nonRetryable: error.nonRetryable ?? undefined,
      details: [...(error.details ?? []), detail],
      ...(error.nextRetryDelay !== undefined ? { nextRetryDelay: error.nextRetryDelay } : {}),
      ...(error.cause ? { cause: error.cause } : {}),
    };
    return ApplicationFailure.create(options);
  }
  // A cancellation, or anything that is not an Error, passes unchanged; a plain Error becomes the failure Temporal
  // would have made of it (its name as the type, retryable), with the attempt.
  if (!(error instanceof Error) || error.name === 'CancelledFailure' || error.name === 'AbortError') return error;
  return ApplicationFailure.create({
    message: error.message,
    type: error.name,
    details: [detail],
    cause: error.cause instanceof Error ? error.cause : undefined,
  });
}
