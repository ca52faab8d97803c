/**
 * The typed graphflow client: openapi-fetch over the types generated from the API's OpenAPI document
 * (client/schema.d.ts, `npm run client:generate`). Every path, body, success and problem is typed:
 *
 *   const api = createGraphflowClient('http://127.0.0.1:3000', process.env.GRAPHFLOW_KEY!);
 *   const { data, error } = await api.POST('/api/workflows/{id}/runs', { params: { path: { id } }, body: { input } });
 *   if (error) console.error(error.status, error.errors); else console.log(data.runId);
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';

export type GraphflowClient = Client<paths>;

/** `baseUrl` is the server's root (not /api); `key` an API key (or a bearer JWT where sign-in is configured). */
export function createGraphflowClient(
  baseUrl: string,
  key: string,
  options: Omit<ClientOptions, 'baseUrl' | 'headers'> = {},
): GraphflowClient {
  return createClient<paths>({ ...options, baseUrl, headers: { authorization: `Bearer ${key}` } });
}
