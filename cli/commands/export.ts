/** `graphflow export [WORKFLOW…] --out DIR`: one file per workflow, with its draft and every published version. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Connection, expectOk } from '../api';
import type { Output } from '../output';
import { transferDocument } from '../transfer-document';
import { allVersions, resolveWorkflow, type Workflow } from '../workflows';

async function everyWorkflow({ api }: Connection): Promise<Workflow[]> {
  const all: Workflow[] = [];
  let cursor: string | undefined;
  do {
    const page = await expectOk(
      'listing workflows',
      api.GET('/api/workflows', { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } }),
    );
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.reverse(); // oldest first, so an export reads in the order the workflows were made
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'workflow';

export async function exportCommand(
  connection: Connection,
  refs: string[],
  outDir: string,
  out: Output,
): Promise<void> {
  const workflows = refs.length
    ? await Promise.all(refs.map((ref) => resolveWorkflow(connection, ref)))
    : await everyWorkflow(connection);
  mkdirSync(outDir, { recursive: true });
  const taken = new Set<string>();
  for (const workflow of workflows) {
    // The list's rows carry the draft; a workflow named on the command line is read whole already.
    const document = transferDocument(workflow, await allVersions(connection, workflow.id));
    let name = `${slug(workflow.name)}.json`;
    if (taken.has(name)) name = `${slug(workflow.name)}-${workflow.id.slice(0, 8)}.json`;
    taken.add(name);
    writeFileSync(path.join(outDir, name), `${JSON.stringify(document, null, 2)}\n`);
    out.line(`${workflow.name}: ${document.versions.length} version(s) → ${path.join(outDir, name)}`);
  }
  out.line(`exported ${workflows.length} workflow(s) to ${outDir}`);
}
