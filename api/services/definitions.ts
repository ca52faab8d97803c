/**
 * Definitions and their published versions. Publishing validates with the
 * interpreter's own validator, then writes an immutable `workflow_versions`
 * row with a content hash, its nodes, edges and triggers, in one transaction.
 */
import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { workflowEdges, workflowNodes, workflowTriggers, workflows, workflowVersions } from '../../db/schema';
import type { Definition } from '../../interpreter/schema';
import { type ValidationResult, validateDefinition } from '../../interpreter/validate';
import { stableHash } from '../../lib/canonical-json';
import { Conflict, InvalidDefinition, NotFound } from '../../lib/domain-errors';
import { checkSchema } from '../../runs/input-schema';
import { findVersion, findWorkflow, type VersionRow, type WorkflowRow } from '../../runs/pin';
import type { Caller } from '../auth';

export type { VersionRow, WorkflowRow } from '../../runs/pin';

/** A definition's content hash: equal definitions, whatever their key order, hash equally. */
export const contentHash = stableHash;

export async function getWorkflow(db: Db, caller: Pick<Caller, 'tenantId'>, id: string): Promise<WorkflowRow> {
  const row = await findWorkflow(db, caller.tenantId, id);
  if (!row) throw new NotFound('Workflow', id);
  return row;
}

export interface NewWorkflow {
  name: string;
  description?: string | null | undefined;
  category?: string | undefined;
  tags?: string[] | undefined;
  isTemplate?: boolean | undefined;
  definition: unknown;
}

/** A new draft: the one way create, clone and import make a workflow. */
export async function createWorkflow(db: Db, caller: Caller, w: NewWorkflow): Promise<WorkflowRow> {
  return (
    await db
      .insert(workflows)
      .values({
        tenantId: caller.tenantId,
        name: w.name,
        description: w.description ?? null,
        category: w.category ?? 'custom',
        tags: w.tags ?? [],
        isTemplate: w.isTemplate ?? false,
        workflowData: w.definition,
        createdBy: caller.userId,
      })
      .returning()
  )[0]!;
}

/** The definition a version stores: the draft with the workflow's own name, description, category and tags. */
export function definitionToPublish(row: WorkflowRow): Record<string, unknown> {
  const draft = (row.workflowData ?? {}) as Record<string, unknown>;
  return {
    ...draft,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    category: row.category,
    tags: row.tags,
  };
}

/** Validates a workflow's draft with everything the validator needs from the database. */
export async function validateWorkflow(
  db: Db,
  caller: Caller,
  row: WorkflowRow,
  limits: { maxGraphWork?: number } = {},
): Promise<ValidationResult> {
  const definition = definitionToPublish(row);
  const published = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.tenantId, caller.tenantId), isNotNull(workflows.latestVersion)));
  const result = validateDefinition(definition, {
    selfId: row.id,
    knownWorkflowIds: new Set(published.map((p) => p.id)),
    ...limits,
  });
  const problems = [
    ...checkSchema(definition.inputSchema),
    ...(await subworkflowCycles(db, caller, row.id, definition)),
  ];
  if (problems.length) return { ...result, valid: false, errors: [...result.errors, ...problems] };
  return result;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Each subworkflow node's target, by the node's index. Read from a draft, which may be anything: a node that
 * is not an object, or an id that is not a UUID, names no workflow (the validator reports those).
 */
function subworkflowTargets(definition: unknown): Array<{ index: number; workflowId: string }> {
  const nodes = (definition as { nodes?: unknown } | null | undefined)?.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node: unknown, index) => {
    const { type, data } = (node && typeof node === 'object' ? node : {}) as { type?: unknown; data?: unknown };
    const workflowId =
      type === 'subworkflow' && data && typeof data === 'object'
        ? (data as { workflowId?: unknown }).workflowId
        : undefined;
    return typeof workflowId === 'string' && UUID.test(workflowId) ? [{ index, workflowId }] : [];
  });
}

/** A subworkflow that would call this workflow again through the latest published versions of the others. */
async function subworkflowCycles(
  db: Db,
  caller: Caller,
  selfId: string,
  definition: unknown,
): Promise<Array<{ path: string; message: string }>> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const { index: i, workflowId: start } of subworkflowTargets(definition)) {
    if (start === selfId) continue;
    const seen = new Set<string>();
    const queue: Array<{ id: string; via: string[] }> = [{ id: start, via: [start] }];
    while (queue.length && seen.size < 200) {
      const { id, via } = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const latest = (
        await db
          .select({ data: workflowVersions.workflowData })
          .from(workflowVersions)
          .where(and(eq(workflowVersions.workflowId, id), eq(workflowVersions.tenantId, caller.tenantId)))
          .orderBy(desc(workflowVersions.version))
          .limit(1)
      )[0];
      for (const { workflowId: next } of subworkflowTargets(latest?.data)) {
        if (next === selfId) {
          problems.push({
            path: `nodes[${i}].data.workflowId`,
            message: `this subworkflow would call this workflow again (through ${via.join(' → ')})`,
          });
          queue.length = 0;
          break;
        }
        queue.push({ id: next, via: [...via, next] });
      }
    }
  }
  return problems;
}

export interface PublishResult {
  version: VersionRow;
  created: boolean;
}

export interface PublishOptions {
  changeDescription?: string | undefined;
  /** Publish this definition instead of the draft (rollback); it also becomes the draft. */
  definition?: Record<string, unknown>;
  isRollbackVersion?: boolean;
  /** MAX_GRAPH_WORK: the most node runs one run of the graph may make. */
  maxGraphWork?: number;
}

export async function publishWorkflow(
  db: Db,
  caller: Caller,
  id: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  let row = await getWorkflow(db, caller, id);
  if (row.status === 'archived') throw new Conflict('This workflow is archived; clone it to publish a new one.');
  if (options.definition) {
    const { name: _n, description: _d, category: _c, tags: _t, ...draft } = options.definition;
    row = { ...row, workflowData: draft };
  }
  const validation = await validateWorkflow(db, caller, row, { maxGraphWork: options.maxGraphWork });
  if (!validation.valid || !validation.definition) {
    throw new InvalidDefinition(
      `The definition has ${validation.errors.length} problem(s); nothing was published.`,
      validation.errors,
      { warnings: validation.warnings },
    );
  }
  const definition = definitionToPublish(row);
  const hash = contentHash(definition);
  const validated = validation.definition;
  return db.transaction(async (tx) => {
    // Lock the workflow row: two publishes at once must not both become version n+1.
    const locked = (await tx.select().from(workflows).where(eq(workflows.id, id)).for('update'))[0]!;
    if (options.definition)
      await tx
        .update(workflows)
        .set({ workflowData: row.workflowData, updatedAt: new Date() })
        .where(eq(workflows.id, id));
    const latest = (
      await tx
        .select()
        .from(workflowVersions)
        .where(eq(workflowVersions.workflowId, id))
        .orderBy(desc(workflowVersions.version))
        .limit(1)
    )[0];
    if (latest && latest.contentHash === hash) return { version: latest, created: false };
    const versionNumber = (locked.latestVersion ?? 0) + 1;
    const version = (
      await tx
        .insert(workflowVersions)
        .values({
          tenantId: caller.tenantId,
          workflowId: id,
          version: versionNumber,
          workflowData: validated,
          contentHash: hash,
          changeDescription: options.changeDescription ?? null,
          isRollbackVersion: options.isRollbackVersion ?? false,
          createdBy: caller.userId,
        })
        .returning()
    )[0]!;
    const graph = validation.definition as Definition;
    if (graph.nodes.length) {
      await tx.insert(workflowNodes).values(
        graph.nodes.map((n) => ({
          tenantId: caller.tenantId,
          workflowVersionId: version.id,
          nodeId: n.id,
          nodeType: n.type,
          label: typeof n.data.label === 'string' ? n.data.label : null,
          config: n.data,
          position: n.position ?? null,
        })),
      );
    }
    if (graph.edges.length) {
      await tx.insert(workflowEdges).values(
        graph.edges.map((e, i) => ({
          tenantId: caller.tenantId,
          workflowVersionId: version.id,
          edgeId: e.id,
          sourceNodeId: e.source,
          targetNodeId: e.target,
          sourceHandle: e.sourceHandle ?? null,
          condition: e.condition ?? null,
          isDefault: e.isDefault === true,
          position: i,
        })),
      );
    }
    await registerTriggers(tx as unknown as Db, caller, id, version.id, graph);
    await tx
      .update(workflows)
      .set({ status: 'published', latestVersion: versionNumber, updatedAt: new Date() })
      .where(eq(workflows.id, id));
    return { version, created: true };
  });
}

/**
 * Stops new runs; runs in flight go on. The triggers stay registered (webhooks answer 404 and events skip an
 * archived workflow; its schedules are paused by syncSchedules), so the archive is easy to look back on.
 */
export async function archiveWorkflow(db: Db, caller: Caller, id: string): Promise<WorkflowRow> {
  await getWorkflow(db, caller, id);
  return (
    await db
      .update(workflows)
      .set({ status: 'archived', updatedAt: new Date() })
      .where(and(eq(workflows.id, id), eq(workflows.tenantId, caller.tenantId)))
      .returning()
  )[0]!;
}

/** The version's triggers replace the workflow's earlier ones. */
async function registerTriggers(
  tx: Db,
  caller: Caller,
  workflowId: string,
  versionId: string,
  graph: Definition,
): Promise<void> {
  await tx
    .update(workflowTriggers)
    .set({ isActive: false })
    .where(and(eq(workflowTriggers.workflowId, workflowId), eq(workflowTriggers.isActive, true)));
  const triggers = graph.nodes.filter((n) => n.type === 'trigger');
  const rows = triggers.map((n) => {
    const trigger = (n.data.trigger ?? {}) as Record<string, unknown>;
    const type = (
      ['manual', 'webhook', 'schedule', 'event'].includes(String(trigger.type)) ? trigger.type : 'manual'
    ) as 'manual' | 'webhook' | 'schedule' | 'event';
    return {
      tenantId: caller.tenantId,
      workflowId,
      workflowVersionId: versionId,
      nodeId: n.id,
      triggerType: type,
      config: trigger,
      path: type === 'webhook' && typeof trigger.path === 'string' ? trigger.path : null,
      eventName: type === 'event' && typeof trigger.event === 'string' ? trigger.event : null,
    };
  });
  const paths = rows.map((r) => r.path).filter((p): p is string => p !== null);
  if (paths.length) {
    // Paths are per tenant (the URL is /hooks/<tenant id>/<path>): only the tenant's own triggers can hold one, so this
    // tells nobody else anything.
    const taken = await tx
      .select({ path: workflowTriggers.path })
      .from(workflowTriggers)
      .where(
        and(
          eq(workflowTriggers.tenantId, caller.tenantId),
          inArray(workflowTriggers.path, paths),
          eq(workflowTriggers.isActive, true),
        ),
      );
    const twice = paths.filter((p, i) => paths.indexOf(p) !== i);
    if (taken.length || twice.length) {
      const problems = [
        ...taken.map((t) => ({
          path: 'nodes',
          message: `webhook path "${t.path}" is already used by another of your workflows`,
        })),
        ...[...new Set(twice)].map((p) => ({
          path: 'nodes',
          message: `webhook path "${p}" is used by two triggers of this workflow`,
        })),
      ];
      throw new InvalidDefinition('A webhook path is already in use.', problems);
    }
  }
  if (rows.length) await tx.insert(workflowTriggers).values(rows);
}

export async function getVersion(
  db: Db,
  caller: Pick<Caller, 'tenantId'>,
  workflowId: string,
  version: number | undefined,
): Promise<VersionRow> {
  const row = await findVersion(db, caller.tenantId, workflowId, version);
  if (!row) {
    if (version === undefined)
      throw new Conflict(
        'This workflow has no published version yet: publish it first (POST /api/workflows/:id/publish).',
      );
    throw new NotFound('Version', String(version));
  }
  return row;
}
