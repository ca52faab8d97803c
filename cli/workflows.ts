/** Finding workflows on the server by id or by name, and reading their published versions. */
import type { components } from '../client';
import { type Connection, expectOk } from './api';
import { CliError } from './errors';

export type Workflow = components['schemas']['Workflow'];
export type Version = components['schemas']['Version'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every workflow of the tenant whose name is exactly `name` (the API's `q` matches parts of names; we want the whole).
 */
async function workflowsNamed({ api }: Connection, name: string): Promise<Workflow[]> {
  const found: Workflow[] = [];
  let cursor: string | undefined;
  do {
    const page = await expectOk(
      `looking up workflow "${name}"`,
      api.GET('/api/workflows', { params: { query: { q: name, limit: 500, ...(cursor ? { cursor } : {}) } } }),
    );
    found.push(...page.items.filter((w) => w.name === name));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return found;
}

async function workflowById({ api }: Connection, id: string): Promise<Workflow | undefined> {
  const answer = await api.GET('/api/workflows/{id}', { params: { path: { id } } });
  if (answer.response.status === 404) return undefined;
  return expectOk(`reading workflow ${id}`, Promise.resolve(answer));
}

/**
 * The workflow a file or a command line names: by id when given, else by its exact name. Several of one name are
 * ambiguous unless only one is not archived (an archived workflow is history, not the one being worked on).
 */
export async function findWorkflow(
  connection: Connection,
  ref: { id?: string; name?: string },
): Promise<Workflow | undefined> {
  if (ref.id) return workflowById(connection, ref.id);
  if (!ref.name) return undefined;
  const named = await workflowsNamed(connection, ref.name);
  const live = named.filter((w) => w.status !== 'archived');
  const candidates = live.length ? live : named;
  if (candidates.length > 1) {
    throw new CliError(`${candidates.length} workflows are named "${ref.name}"`, [
      ...candidates.map((w) => `${w.id} (${w.status}, updated ${w.updatedAt})`),
      'name one by its id (an `id` field in the file, or the id on the command line)',
    ]);
  }
  return candidates[0];
}

/** A workflow named on the command line: a UUID is an id, anything else a name. */
export async function resolveWorkflow(connection: Connection, text: string): Promise<Workflow> {
  const workflow = await findWorkflow(connection, UUID.test(text) ? { id: text.toLowerCase() } : { name: text });
  if (!workflow)
    throw new CliError(`no workflow "${text}" on ${connection.url}`, [
      'graphflow publish FILE creates one from a definition file',
    ]);
  return workflow;
}

export async function publishedVersion({ api }: Connection, id: string, version: number): Promise<Version> {
  return expectOk(
    `reading version ${version} of workflow ${id}`,
    api.GET('/api/workflows/{id}/versions/{n}', { params: { path: { id, n: version } } }),
  );
}

/** Every published version of a workflow, oldest first, each with its definition. */
export async function allVersions(connection: Connection, id: string): Promise<Version[]> {
  const list = await expectOk(
    `listing versions of workflow ${id}`,
    connection.api.GET('/api/workflows/{id}/versions', { params: { path: { id } } }),
  );
  const numbers = list.items.map((v) => v.version).sort((a, b) => a - b);
  const versions: Version[] = [];
  for (const n of numbers) versions.push(await publishedVersion(connection, id, n));
  return versions;
}
