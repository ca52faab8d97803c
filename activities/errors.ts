/**
 * Activity failures, named from the catalogue (lib/failures.ts): permanent ones are non-retryable, so Temporal's
 * retry policy skips them. The type system keeps a failure the catalogue calls retryable from being raised as
 * permanent, and the other way round.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import { formatPath } from '../interpreter/validate';
import { FAILURES, type PermanentFailureKind, type RetryableFailureKind } from '../lib/failures';

/** Retrying cannot change the answer (invalid config, a 4xx other than 408/429, a refused address). */
export function permanentFailure(
  message: string,
  failure: PermanentFailureKind,
  details?: unknown,
): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: failure.type,
    nonRetryable: true,
    details: details === undefined ? [] : [details],
  });
}

/** Worth trying again (timeouts, 5xx, 408, 429), optionally after a delay the target asked for. */
export function retryableFailure(
  message: string,
  failure: RetryableFailureKind,
  nextRetryDelayMs?: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: failure.type,
    nonRetryable: false,
    ...(nextRetryDelayMs ? { nextRetryDelay: nextRetryDelayMs } : {}),
  });
}

/**
 * A config that does not fit its provider's schema: every problem, each with its path. Zod's messages name the
 * expected shape, never the value given, so a secret filled into the config is not quoted.
 */
export function invalidConfig(what: string, error: z.ZodError): ApplicationFailure {
  const errors = error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const listed = errors.map((e) => `${e.path || '(config)'}: ${e.message}`).join('; ');
  return permanentFailure(`the ${what} config is invalid: ${listed}`, FAILURES.InvalidConfig, { errors });
}

/**
 * SQLSTATE classes of a statement refused for what it says, not for when it ran: 22 (data exception), 23 (integrity).
 */
const REFUSED_BY_DATABASE: Record<string, PermanentFailureKind> = {
  '22': FAILURES.InvalidInput,
  '23': FAILURES.ConstraintViolation,
};

/**
 * The database's refusal of a write, as a permanent failure (drizzle wraps the driver's error, so causes are searched).
 */
function refusedByDatabase(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    const failure =
      typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? REFUSED_BY_DATABASE[code.slice(0, 2)] : undefined;
    if (failure)
      return permanentFailure(`the database refused the write: ${String(message)} (SQLSTATE ${code})`, failure);
    current = cause;
  }
  return undefined;
}

type Activity = (...args: never[]) => Promise<unknown>;

/**
 * The same activities, each turning a database refusal (a malformed value, a broken constraint) into a permanent
 * failure: retried, such a statement fails the same way for ever (a run id that is no run, a key too long).
 */
export function refusalsArePermanent<T extends Record<string, Activity>>(activities: T): T {
  const judged: Record<string, Activity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    judged[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw refusedByDatabase(error) ?? error;
      }
    };
  }
  return judged as T;
}
