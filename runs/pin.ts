/**
 * Pinning a run to a published version: "this version, or the latest published", resolved in one place for
 * every path that starts a run (the API, webhooks, events, schedules and subworkflow nodes). A run carries
 * the version it was pinned to, so editing or republishing never changes a run in flight.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { workflows, workflowVersions } from '../db/schema';
import { Conflict, NotFound } from '../lib/domain-errors';
import type { PinnedDefinition } from '../workflows/types';

export type WorkflowRow = typeof workflows.$inferSelect;
export type VersionRow = typeof workflowVersions.$inferSelect;

/** The tenant's workflow of this id; undefined for another tenant's, as for none. */
export async function findWorkflow(db: Db, tenantId: string, workflowId: string): Promise<WorkflowRow | undefined> {
  return (
    await db
      .select()
      .from(workflows)
      .where(and(eq(workflows.id, workflowId), eq(workflows.tenantId, tenantId)))
      .limit(1)
  )[0];
}

/** The published version `version` of the workflow, or its latest when `version` is undefined. */
export async function findVersion(
  db: Db,
  tenantId: string,
  workflowId: string,
  version: number | undefined,
): Promise<VersionRow | undefined> {
  const where = and(
    eq(workflowVersions.workflowId, workflowId),
    eq(workflowVersions.tenantId, tenantId),
    ...(version === undefined ? [] : [eq(workflowVersions.version, version)]),
  );
  return (await db.select().from(workflowVersions).where(where).orderBy(desc(workflowVersions.version)).limit(1))[0];
}

/** What a run of this version carries: the definition and the names people find it by. */
export function pinnedDefinition(workflow: WorkflowRow, version: VersionRow): PinnedDefinition {
  return {
    workflowId: workflow.id,
    versionId: version.id,
    version: version.version,
    contentHash: version.contentHash,
    name: workflow.name,
    graph: version.workflowData,
  };
}

export interface Pinned {
  workflow: WorkflowRow;
  version: VersionRow;
  definition: PinnedDefinition;
}

/** Why a workflow starts no run; `workflow` is there when it exists. */
export type PinRefusal =
  { reason: 'no-workflow' } | { reason: 'archived' | 'not-published' | 'no-such-version'; workflow: WorkflowRow };

/** Resolves the version a new run starts on, or says why none does (an archived workflow starts no runs). */
export async function resolvePin(
  db: Db,
  tenantId: string,
  workflowId: string,
  version: number | undefined,
): Promise<Pinned | PinRefusal> {
  const workflow = await findWorkflow(db, tenantId, workflowId);
  if (!workflow) return { reason: 'no-workflow' };
  if (workflow.status === 'archived') return { reason: 'archived', workflow };
  const row = await findVersion(db, tenantId, workflow.id, version);
  if (!row) return { reason: version === undefined ? 'not-published' : 'no-such-version', workflow };
  return { workflow, version: row, definition: pinnedDefinition(workflow, row) };
}

export const isRefusal = (pin: Pinned | PinRefusal): pin is PinRefusal => 'reason' in pin;

/** The domain error a refusal is: what a caller is told when no run starts. */
export function refusalError(pin: PinRefusal, workflowId: string, version: number | undefined): Error {
  switch (pin.reason) {
    case 'no-workflow':
      return new NotFound('Workflow', workflowId);
    case 'archived':
      return new Conflict('This workflow is archived: it starts no new runs.');
    case 'not-published':
      return new Conflict(
        'This workflow has no published version yet: publish it first (POST /api/workflows/:id/publish).',
      );
    case 'no-such-version':
      return new NotFound('Version', String(version));
  }
}

/** The version a run started by a caller or a trigger is pinned to; a refusal is a domain error. */
export async function pinVersion(
  db: Db,
  tenantId: string,
  workflowId: string,
  version: number | undefined,
): Promise<Pinned> {
  const pin = await resolvePin(db, tenantId, workflowId, version);
  if (isRefusal(pin)) throw refusalError(pin, workflowId, version);
  return pin;
}
