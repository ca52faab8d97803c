/**
 * The CLI's way to the server: the generated typed client, and one place that turns a refused request (a
 * problem+json answer) or an unreachable server into a CliError that says what the API said.
 */
import { createGraphflowClient, type components, type GraphflowClient } from '../client';
import { type Credentials, loadCredentials } from './credentials';
import { CliError } from './errors';

type Problem = components['schemas']['Problem'];

export interface Connection {
  api: GraphflowClient;
  url: string;
}

export function connect(credentials: Credentials = loadCredentials()): Connection {
  // A fetch that fails (refused connection, DNS) throws before openapi-fetch sees an answer: say where we tried.
  const fetchOrExplain = async (request: Request): Promise<Response> => {
    try {
      return await fetch(request);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach graphflow at ${credentials.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        ['check the URL given to graphflow login (or GRAPHFLOW_URL) and that the server is running'],
      );
    }
  };
  return {
    api: createGraphflowClient(credentials.url, credentials.key, { fetch: fetchOrExplain }),
    url: credentials.url,
  };
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).title === 'string' &&
    typeof (value as Problem).status === 'number'
  );
}

/** The lines that tell a person what the API refused and why: title, detail, then every listed problem. */
export function problemError(response: Response, body: unknown, doing: string): CliError {
  if (!isProblem(body)) {
    const text = typeof body === 'string' && body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
    return new CliError(`${doing} failed: HTTP ${response.status} ${response.statusText}${text}`);
  }
  const details = (body.errors ?? []).map((entry) => `${entry.path || '(root)'}: ${entry.message}`);
  const warnings = Array.isArray(body.warnings)
    ? (body.warnings as Array<{ path?: string; message?: string }>).map(
        (w) => `warning ${w.path ?? ''}: ${w.message ?? ''}`,
      )
    : [];
  if (response.status === 401)
    details.push('the key was refused: run graphflow login again (or check GRAPHFLOW_API_KEY)');
  return new CliError(`${doing} failed: ${body.status} ${body.title}: ${body.detail}`, [...details, ...warnings]);
}

interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The answer's body when the request succeeded; otherwise a CliError carrying the problem. */
export async function expectOk<D>(doing: string, request: Promise<Answer<D>>): Promise<D> {
  const answer = await request;
  if (answer.response.ok) return answer.data as D;
  throw problemError(answer.response, answer.error, doing);
}
