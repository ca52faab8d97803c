/**
 * `graphflow publish FILE|DIR…`: definitions as code. Each file is a workflow on the server (matched by `id`, else
 * by name); the draft is set to the file and published, after showing what changes against the latest published
 * version and asking (or with --yes). Nothing is written with --dry-run, when a file is invalid, or when the answer
 * is no.
 */
import { type Connection, expectOk } from '../api';
import { checkDefinition, definitionToPublish } from '../check-definition';
import { definitionFiles, loadWorkflowFile, type WorkflowFile } from '../definition-file';
import { type DefinitionDiff, diffDefinitions, isEmptyDiff, renderDiff } from '../diff';
import { CliError, EXIT, ExitWith } from '../errors';
import type { Output } from '../output';
import type { Confirm } from '../prompt';
import { findWorkflow, publishedVersion, type Workflow } from '../workflows';

export interface PublishOptions {
  yes?: boolean;
  dryRun?: boolean;
  message?: string;
}

interface Plan {
  file: WorkflowFile;
  existing?: Workflow;
  diff: DefinitionDiff;
}

/** Every file read and checked before anything is sent: one bad file stops them all. */
function loadAll(targets: string[], out: Output): WorkflowFile[] {
  const files = targets.flatMap(definitionFiles).map(loadWorkflowFile);
  let invalid = 0;
  for (const file of files) {
    const { errors } = checkDefinition(file);
    if (!errors.length) continue;
    invalid++;
    out.error(`${file.file}: ${errors.length} problem(s)`);
    for (const e of errors) out.error(`  ${e.path}: ${e.message}`);
  }
  if (invalid) throw new CliError(`${invalid} file(s) invalid: nothing was published`);
  const byKey = new Map<string, string>();
  for (const file of files) {
    const key = file.id ?? `name:${file.name}`;
    const other = byKey.get(key);
    if (other)
      throw new CliError(`${other} and ${file.file} are the same workflow (${file.id ?? `"${file.name}"`}): keep one`);
    byKey.set(key, file.file);
  }
  return files;
}

async function planFor(connection: Connection, file: WorkflowFile): Promise<Plan> {
  const existing = await findWorkflow(connection, file);
  if (file.id && !existing)
    throw new CliError(`${file.file}: no workflow ${file.id} on ${connection.url}`, [
      'remove the id to create the workflow, or fix it',
    ]);
  if (existing?.status === 'archived')
    throw new CliError(`${file.file}: workflow "${existing.name}" (${existing.id}) is archived`, [
      'clone it, or publish the file under another name',
    ]);
  const latest = existing?.latestVersion
    ? (await publishedVersion(connection, existing.id, existing.latestVersion)).definition
    : undefined;
  return { file, ...(existing ? { existing } : {}), diff: diffDefinitions(latest, definitionToPublish(file)) };
}

function describePlan(plan: Plan, out: Output): void {
  const { file, existing, diff } = plan;
  const where = existing ? `${existing.id}` : 'new workflow';
  if (isEmptyDiff(diff)) {
    out.line(`${file.name} (${file.file}): unchanged since version ${existing?.latestVersion}`);
    return;
  }
  const against = existing?.latestVersion ? `changes against version ${existing.latestVersion}` : 'not published yet';
  out.line(`${file.name} (${file.file}, ${where}): ${against}`);
  // A new workflow's settings are all new: its nodes and edges are what is worth reading.
  for (const line of renderDiff(existing?.latestVersion ? diff : { ...diff, settings: [] })) out.line(line);
}

async function apply({ api }: Connection, plan: Plan, message: string | undefined, out: Output): Promise<void> {
  const { file } = plan;
  const body = {
    name: file.name,
    ...(file.description ? { description: file.description } : {}),
    ...(file.category ? { category: file.category } : {}),
    ...(file.tags ? { tags: file.tags } : {}),
    ...(file.isTemplate !== undefined ? { isTemplate: file.isTemplate } : {}),
    definition: file.definition as { nodes: Array<Record<string, unknown>>; edges: Array<Record<string, unknown>> },
  };
  const id = plan.existing
    ? (
        await expectOk(
          `updating the draft of "${file.name}"`,
          api.PUT('/api/workflows/{id}', { params: { path: { id: plan.existing.id } }, body }),
        )
      ).id
    : (await expectOk(`creating "${file.name}"`, api.POST('/api/workflows', { body }))).id;
  const published = await expectOk(
    `publishing "${file.name}" (its draft now holds ${file.file})`,
    api.POST('/api/workflows/{id}/publish', {
      params: { path: { id } },
      body: message ? { changeDescription: message } : {},
    }),
  );
  out.line(
    published.unchanged
      ? `${file.name}: unchanged (version ${published.version})`
      : `${file.name}: published version ${published.version} (${id})`,
  );
}

export async function publishCommand(
  connection: Connection,
  targets: string[],
  options: PublishOptions,
  out: Output,
  confirm: Confirm,
): Promise<void> {
  const files = loadAll(targets, out);
  const plans: Plan[] = [];
  for (const file of files) plans.push(await planFor(connection, file));
  for (const plan of plans) describePlan(plan, out);

  const changed = plans.filter((p) => !isEmptyDiff(p.diff));
  if (!changed.length) {
    out.line('nothing to publish');
    return;
  }
  if (options.dryRun) {
    out.line(`dry run: ${changed.length} workflow(s) would be published; nothing was changed`);
    return;
  }
  if (!options.yes && !(await confirm(`Publish ${changed.length} workflow(s) to ${connection.url}?`))) {
    out.error('not confirmed: nothing was published (pass --yes to publish without asking)');
    throw new ExitWith(EXIT.failure);
  }
  for (const plan of changed) await apply(connection, plan, options.message, out);
}
