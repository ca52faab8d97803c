/**
 * Problem details (RFC 9457) for every error the API answers: `type`,
 * `title`, `status`, `detail`, and `errors: [{ path, message }]` listing every
 * problem of a refused input.
 */
import {
  Conflict,
  DomainError,
  Forbidden,
  InvalidDefinition,
  InvalidInput,
  NotFound,
  type Problem,
  Unavailable,
} from '../lib/domain-errors';

export type ProblemEntry = Problem;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemEntry[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'errors']);

/** A domain error with its HTTP status; the one error handler turns it into problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: ProblemEntry[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }

  toBody(): ProblemBody {
    return {
      type: `https://graphflow.dev/problems/${this.slug}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      // Extras never replace the problem's own members (`status` is the HTTP status, a number).
      ...Object.fromEntries(Object.entries(this.extra).filter(([key]) => !PROBLEM_MEMBERS.has(key))),
    };
  }
}

export const notFound = (what: string, id: string) =>
  new HttpProblem(404, 'not-found', `${what} "${id}" was not found`);
export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) =>
  new HttpProblem(409, 'conflict', detail, undefined, extra);
export const badRequest = (detail: string, errors?: ProblemEntry[]) =>
  new HttpProblem(400, 'invalid-request', detail, errors);
export const unprocessable = (detail: string, errors: ProblemEntry[], extra?: Record<string, unknown>) =>
  new HttpProblem(422, 'invalid-definition', detail, errors, extra);

/**
 * The HTTP problem a service's refusal answers as. An `Unavailable` without a narrower code keeps the
 * `<dependency>-unavailable` slug, which the error handler recognises as an outage (api/dependency-errors.ts).
 */
export function problemOf(error: DomainError): HttpProblem {
  if (error instanceof NotFound) return new HttpProblem(404, 'not-found', error.message, undefined, error.details);
  if (error instanceof Forbidden) return new HttpProblem(403, 'forbidden', error.message, undefined, error.details);
  if (error instanceof Conflict) return new HttpProblem(409, 'conflict', error.message, undefined, error.details);
  if (error instanceof InvalidInput)
    return new HttpProblem(400, 'invalid-request', error.message, error.problems, error.details);
  if (error instanceof InvalidDefinition)
    return new HttpProblem(422, 'invalid-definition', error.message, error.problems, error.details);
  if (error instanceof Unavailable)
    return new HttpProblem(
      503,
      error.code ?? `${error.dependency}-unavailable`,
      error.message,
      undefined,
      error.details,
    );
  // A refusal added later without a mapping here is still a refusal, not a crash: a conflict says the least.
  return new HttpProblem(409, 'conflict', error.message, undefined, error.details);
}

/** A thrown value as the API answers it: a service's refusal becomes its problem; anything else is left as it was. */
export const toProblem = (error: unknown): unknown => (error instanceof DomainError ? problemOf(error) : error);
