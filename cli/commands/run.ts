/**
 * `graphflow run WORKFLOW [--input FILE] [--watch]`: starts a run of a published workflow, and with --watch follows it
 * to its end.
 */
import { type Connection, expectOk } from '../api';
import { readDataFile } from '../definition-file';
import { CliError, ExitWith } from '../errors';
import type { Output } from '../output';
import { watchRun } from '../watch-run';
import { resolveWorkflow } from '../workflows';

const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
type Priority = (typeof PRIORITIES)[number];

export interface RunOptions {
  input?: string;
  watch?: boolean;
  workflowVersion?: string;
  priority?: string;
  idempotencyKey?: string;
  interval?: string;
}

function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new CliError(`${option} takes a whole number above 0, not "${text}"`);
  return Number(text);
}

export async function runCommand(
  connection: Connection,
  workflowRef: string,
  options: RunOptions,
  out: Output,
): Promise<void> {
  const version = positiveInteger(options.workflowVersion, '--workflow-version');
  const intervalMs = positiveInteger(options.interval, '--interval') ?? 500;
  if (options.priority !== undefined && !(PRIORITIES as readonly string[]).includes(options.priority)) {
    throw new CliError(`--priority is one of ${PRIORITIES.join(', ')}, not "${options.priority}"`);
  }
  const input = options.input === undefined ? undefined : readDataFile(options.input);
  const workflow = await resolveWorkflow(connection, workflowRef);
  const started = await expectOk(
    `starting a run of "${workflow.name}"`,
    connection.api.POST('/api/workflows/{id}/runs', {
      params: { path: { id: workflow.id } },
      ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
      body: {
        ...(input !== undefined ? { input } : {}),
        ...(version ? { version } : {}),
        ...(options.priority ? { priority: options.priority as Priority } : {}),
      },
    }),
  );
  out.line(
    `run ${started.runId} ${started.created ? 'started' : 'was already started with this idempotency key'}: ${workflow.name} version ${started.version}`,
  );
  if (!options.watch) return;
  const code = await watchRun(connection, started.runId, out, intervalMs);
  if (code !== 0) throw new ExitWith(code);
}
