/** `graphflow runs list [--workflow W] [--status S] [--limit N]`: the tenant's runs, newest first. */
import { type Connection, expectOk } from '../api';
import type { components } from '../../client';
import { CliError } from '../errors';
import { type Output, table } from '../output';
import { resolveWorkflow } from '../workflows';

const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
type RunStatus = (typeof RUN_STATUSES)[number];
type Run = components['schemas']['Run'];

export interface RunsListOptions {
  workflow?: string;
  status?: string;
  limit?: string;
  json?: boolean;
}

/** Names for the workflow ids in a page of runs, one look-up per workflow (a name that cannot be read shows the id). */
async function workflowNames({ api }: Connection, runs: Run[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(runs.map((r) => r.workflowId))) {
    const answer = await api.GET('/api/workflows/{id}', { params: { path: { id } } });
    names.set(id, answer.data?.name ?? id);
  }
  return names;
}

export async function runsListCommand(connection: Connection, options: RunsListOptions, out: Output): Promise<void> {
  if (options.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(options.status)) {
    throw new CliError(`--status is one of ${RUN_STATUSES.join(', ')}, not "${options.status}"`);
  }
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new CliError(`--limit is a whole number from 1 to 500, not "${options.limit}"`);
  const workflowId = options.workflow ? (await resolveWorkflow(connection, options.workflow)).id : undefined;
  const page = await expectOk(
    'listing runs',
    connection.api.GET('/api/runs', {
      params: {
        query: {
          limit,
          ...(workflowId ? { workflowId } : {}),
          ...(options.status ? { status: options.status as RunStatus } : {}),
        },
      },
    }),
  );
  if (options.json) {
    out.line(JSON.stringify(page.items, null, 2));
    return;
  }
  if (!page.items.length) {
    out.line('no runs');
    return;
  }
  const names = await workflowNames(connection, page.items);
  const rows = page.items.map((r) => [
    r.id,
    r.status,
    `${names.get(r.workflowId)} v${r.version}`,
    r.startedAt ?? r.createdAt,
    r.completedAt ?? '-',
  ]);
  for (const line of table(['RUN', 'STATUS', 'WORKFLOW', 'STARTED', 'FINISHED'], rows)) out.line(line);
  if (page.nextCursor) out.line(`(more runs: raise --limit, up to 500)`);
}
