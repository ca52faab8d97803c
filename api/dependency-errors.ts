/**
 * Recognises "a service the API needs is unreachable" among the errors a request
 * can end with, so the one error handler answers 503 naming it (with
 * Retry-After) instead of a bare 500.
 */
import { HttpProblem } from './errors';

export type Dependency = 'temporal' | 'database';

/** gRPC status codes: the server could not be reached or did not answer in time. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Node socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/**
 * PostgreSQL SQLSTATEs of a server going away or not yet there: class 08 (connection
 * exception), 57P01-57P03 (shutdown, crash, starting up), 57014 (a query cancelled by
 * the statement timeout: the deadline this API gives every query).
 */
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|57014)$/;
/** What `pg` and PGlite say, without a code, when they lose or cannot get a connection. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly|PGlite is closed|Cannot use a pool after calling end/i;

/** The error and its causes, outermost first (SDK and drizzle errors wrap the transport's). */
function chain(error: unknown): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  let current: unknown = error;
  while (
    current &&
    typeof current === 'object' &&
    seen.length < 8 &&
    !seen.includes(current as Record<string, unknown>)
  ) {
    seen.push(current as Record<string, unknown>);
    current = (current as { cause?: unknown }).cause;
  }
  return seen;
}

const isGrpcError = (e: Record<string, unknown>) => typeof e.code === 'number' && 'metadata' in e;

export function unavailableDependency(error: unknown): Dependency | undefined {
  for (const e of chain(error)) {
    if (isGrpcError(e)) {
      if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return 'temporal';
      continue;
    }
    // The SDK's name for an Update whose call ran out of time.
    if (e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'temporal';
    if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code))) return 'database';
    if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return 'database';
  }
  return undefined;
}

/** Seconds a client should wait before retrying while a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

const DETAIL: Record<Dependency, string> = {
  temporal:
    'Temporal, which runs the workflows, is unreachable or did not answer in time. Retry shortly (with the same Idempotency-Key, if you sent one).',
  database:
    'PostgreSQL is unreachable or did not answer in time. Retry shortly (with the same Idempotency-Key, if you sent one).',
};

/**
 * The problem's slug follows the house style (`temporal-unavailable`, as run starts already answered); `unavailable`
 * names it as /readyz does.
 */
export function dependencyProblem(dependency: Dependency, detail = DETAIL[dependency]): HttpProblem {
  return new HttpProblem(503, `${dependency}-unavailable`, detail, undefined, {
    unavailable: `${dependency}_unavailable`,
  });
}

/** A 503 a service raised itself for a dependency (a run start that Temporal refused): which one, if it says. */
export function dependencyOfProblem(problem: HttpProblem): Dependency | undefined {
  const match = problem.status === 503 ? /^(temporal|database)-unavailable$/.exec(problem.slug) : null;
  return (match?.[1] as Dependency | undefined) ?? undefined;
}
