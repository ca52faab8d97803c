/** Activity errors: permanent ones are non-retryable, so Temporal's retry policy skips them. */
import { ApplicationFailure } from '@temporalio/activity';

/** The target answered in a way retrying cannot change (4xx other than 408/429, a bad URL). */
export function permanentFailure(message: string, type: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? [] : [details] });
}

/** Worth trying again (timeouts, 5xx, 408, 429), optionally after a delay the target asked for. */
export function retryableFailure(message: string, type: string, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: false, ...(nextRetryDelayMs ? { nextRetryDelay: nextRetryDelayMs } : {}) });
}
