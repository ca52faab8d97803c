/**
 * Problem details (RFC 9457) for every error the API answers: `type`,
 * `title`, `status`, `detail`, and `errors: [{ path, message }]` listing every
 * problem of a refused input.
 */

export interface ProblemEntry {
  path: string;
  message: string;
}

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

export const notFound = (what: string, id: string) => new HttpProblem(404, 'not-found', `${what} "${id}" was not found`);
export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(409, 'conflict', detail, undefined, extra);
export const badRequest = (detail: string, errors?: ProblemEntry[]) => new HttpProblem(400, 'invalid-request', detail, errors);
export const unprocessable = (detail: string, errors: ProblemEntry[], extra?: Record<string, unknown>) =>
  new HttpProblem(422, 'invalid-definition', detail, errors, extra);
