/**
 * The problem+json shape every error answers (api/errors.ts makes it), as one
 * `Problem` component, and `withProblems`, which adds the error statuses a
 * route can answer to its `response` map. Declaring them is not only
 * documentation: Fastify serializes each answer through the schema of its
 * status, so an error body that is not a problem fails loudly.
 */
import { z, type ZodType } from 'zod';

export const ProblemEntry = z
  .object({
    path: z.string().meta({
      description: 'Where the problem is: `body.nodes[2].data.url`, `querystring.limit`, `headers.idempotency-key`',
    }),
    message: z.string(),
  })
  .meta({ id: 'ProblemEntry' });

export const Problem = z
  .object({
    type: z
      .string()
      .meta({ description: 'A URI naming the kind of problem, e.g. https://graphflow.dev/problems/not-found' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().meta({ description: 'What went wrong and what to do, for a person' }),
    errors: z
      .array(ProblemEntry)
      .optional()
      .meta({ description: 'Every problem of a refused input, each with its path' }),
  })
  .loose()
  .meta({
    id: 'Problem',
    description:
      'RFC 9457 problem details. Some problems carry more members (`runId`, `checks`, `warnings`, `requestId`).',
    examples: [
      {
        type: 'https://graphflow.dev/problems/invalid-request',
        title: 'Bad Request',
        status: 400,
        detail: 'The request body has 1 problem(s); nothing was changed.',
        errors: [{ path: 'body.name', message: 'Too small: expected string to have >=1 characters' }],
      },
    ],
  });

export const ERROR_DESCRIPTIONS = {
  400: 'The request is malformed or does not match its schema; nothing was changed',
  401: 'No API key, or one that is unknown, revoked, expired or belongs to a deactivated user (or a JWT that fails verification)',
  403: "The key's roles do not allow this",
  404: "No such resource in the caller's tenant",
  406: 'The Accept header names no type this route answers (a stream needs `Accept: text/event-stream`)',
  409: 'The resource is in a state that does not allow this',
  413: 'The body is larger than the route accepts',
  415: "The body's Content-Type is not one the route accepts",
  422: 'The definition is not valid; `errors` lists every problem',
  429: 'Too many requests; retry after the `Retry-After` seconds',
  503: 'A service the API needs is unreachable',
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/**
 * What every route that needs a key can answer besides its own errors: a bad input, no or a bad key, a role too few, a
 * flood.
 */
export const KEYED: readonly ErrorStatus[] = [400, 401, 403, 429];
/** What a route taking a JSON body can answer about the body itself. */
export const JSON_BODY: readonly ErrorStatus[] = [413, 415];

type ResponseEntry = { description: string; content: Record<string, { schema: ZodType }> } | ZodType;

/** A success answer with its description, as JSON unless told otherwise. */
export const answer = (description: string, schema: ZodType, contentType = 'application/json'): ResponseEntry => ({
  description,
  content: { [contentType]: { schema } },
});

/** 204: no body. @fastify/swagger documents a `null` schema as a response without content. */
export const noContent = (description: string) => z.null().meta({ description });

/**
 * A route's `response` map: its success answers, plus the problem+json answer for each error status
 * (always the statuses every keyed route shares, unless `publicRoute`).
 */
export function withProblems(
  success: Record<number, ResponseEntry>,
  errors: readonly ErrorStatus[] = [],
  options: { publicRoute?: boolean } = {},
): Record<number, ResponseEntry> {
  const statuses = new Set<ErrorStatus>([...(options.publicRoute ? [] : KEYED), ...errors]);
  const problems = Object.fromEntries(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => [
        status,
        { description: ERROR_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: Problem } } },
      ]),
  );
  return { ...success, ...problems };
}
