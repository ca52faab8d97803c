/**
 * `graphflow import DIR`: recreates exported workflows, each with its versions published again in order (numbered
 * 1…n as they were, unless two in a row were equal) and its draft on top. Subworkflow nodes are pointed at the new
 * ids of the workflows they call. A workflow whose name the tenant already has is left alone.
 */
import { type Connection, expectOk } from '../api';
import { definitionFiles, readDataFile } from '../definition-file';
import { CliError, EXIT, ExitWith } from '../errors';
import type { Output } from '../output';
import { calleesFirst, type TransferDocument, transferProblems, withCalledIds } from '../transfer-document';
import { findWorkflow } from '../workflows';

type Draft = { nodes: Array<Record<string, unknown>>; edges: Array<Record<string, unknown>> } & Record<string, unknown>;

function readDocuments(dir: string): TransferDocument[] {
  const documents: TransferDocument[] = [];
  const refused: string[] = [];
  for (const file of definitionFiles(dir)) {
    const content = readDataFile(file);
    const problems = transferProblems(content);
    if (problems.length) refused.push(...problems.map((p) => `${file}: ${p}`));
    else documents.push(content as TransferDocument);
  }
  if (refused.length) throw new CliError('some files are not graphflow export files: nothing was imported', refused);
  return documents;
}

/** A version's stored definition is its graph with the workflow's fields of that time beside it. */
function splitVersion(definition: Record<string, unknown>) {
  const { name, description, category, tags, ...graph } = definition;
  return { name, description, category, tags, graph };
}

async function importOne(
  { api }: Connection,
  document: TransferDocument,
  newIds: Map<string, string>,
  out: Output,
): Promise<void> {
  const fields = (
    name: unknown,
    description: unknown,
    category: unknown,
    tags: unknown,
    graph: Record<string, unknown>,
  ) => ({
    name: typeof name === 'string' ? name : document.name,
    ...(typeof description === 'string' && description ? { description } : {}),
    ...(typeof category === 'string' ? { category } : {}),
    ...(Array.isArray(tags) ? { tags: tags as string[] } : {}),
    isTemplate: document.isTemplate,
    definition: withCalledIds(graph, newIds) as Draft,
  });
  const first = document.versions[0] ? splitVersion(document.versions[0].definition) : undefined;
  const created = await expectOk(
    `creating "${document.name}"`,
    api.POST('/api/workflows', {
      body: first
        ? fields(first.name, first.description, first.category, first.tags, first.graph)
        : fields(document.name, document.description, document.category, document.tags, document.definition),
    }),
  );
  const id = created.id;
  newIds.set(document.id, id);
  const skipped: number[] = [];
  for (const version of document.versions) {
    const { name, description, category, tags, graph } = splitVersion(version.definition);
    await expectOk(
      `setting "${document.name}" to version ${version.version}`,
      api.PUT('/api/workflows/{id}', {
        params: { path: { id } },
        body: fields(name, description, category, tags, graph),
      }),
    );
    const published = await expectOk(
      `publishing version ${version.version} of "${document.name}"`,
      api.POST('/api/workflows/{id}/publish', {
        params: { path: { id } },
        body: version.changeDescription ? { changeDescription: version.changeDescription } : {},
      }),
    );
    if (published.unchanged) skipped.push(version.version);
  }
  await expectOk(
    `restoring the draft of "${document.name}"`,
    api.PUT('/api/workflows/{id}', {
      params: { path: { id } },
      body: {
        ...fields(document.name, document.description, document.category, document.tags, document.definition),
        category: document.category,
        tags: document.tags,
      },
    }),
  );
  if (document.status === 'archived')
    await expectOk(
      `archiving "${document.name}"`,
      api.POST('/api/workflows/{id}/archive', { params: { path: { id } } }),
    );
  const note = skipped.length
    ? ` (version(s) ${skipped.join(', ')} equal the one before them and were not published again)`
    : '';
  out.line(`${document.name}: imported with ${document.versions.length - skipped.length} version(s) as ${id}${note}`);
}

export async function importCommand(connection: Connection, dir: string, out: Output): Promise<void> {
  const documents = calleesFirst(readDocuments(dir));
  const newIds = new Map<string, string>();
  let failed = 0;
  let imported = 0;
  for (const document of documents) {
    const existing = await findWorkflow(connection, { name: document.name });
    if (existing) {
      newIds.set(document.id, existing.id);
      out.line(
        `${document.name}: already here as ${existing.id}; left as it is (graphflow publish updates a workflow)`,
      );
      continue;
    }
    try {
      await importOne(connection, document, newIds, out);
      imported++;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      failed++;
      out.error(`${document.name}: ${error.message}`);
      for (const detail of error.details) out.error(`  ${detail}`);
    }
  }
  out.line(`imported ${imported} workflow(s)${failed ? `, ${failed} failed` : ''}`);
  if (failed) throw new ExitWith(EXIT.failure);
}
