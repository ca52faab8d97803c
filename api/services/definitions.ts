/**
 * Definitions and their published versions. Publishing validates with the
 * interpreter's own validator, then writes an immutable `workflow_versions`
 * row with a content hash, its nodes, edges and triggers, in one transaction.
 */
import { and, desc, eq, getTableColumns, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { workflowTriggers, workflows, workflowVersions } from '../../db/schema';
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
  clientId?: string | null | undefined;
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
        clientId: w.clientId ?? null,
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

/** A version's columns but its definition, which the publish already holds: not sent back by PostgreSQL. */
const { workflowData: _definition, ...versionColumns } = getTableColumns(workflowVersions);

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
    // Only the hash, and the whole row only when it is unchanged: a big graph's definition is a megabyte.
    const latest = (
      await tx
        .select({ id: workflowVersions.id, contentHash: workflowVersions.contentHash })
        .from(workflowVersions)
        .where(eq(workflowVersions.workflowId, id))
        .orderBy(desc(workflowVersions.version))
        .limit(1)
    )[0];
    if (latest && latest.contentHash === hash) {
      const unchanged = (await tx.select().from(workflowVersions).where(eq(workflowVersions.id, latest.id)))[0]!;
      return { version: unchanged, created: false };
    }
    const versionNumber = (locked.latestVersion ?? 0) + 1;
    const inserted = (
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
        .returning(versionColumns)
    )[0]!;
    const version: VersionRow = { ...inserted, workflowData: validated };
    const graph = validation.definition as Definition;
    await indexVersion(tx as unknown as Db, caller.tenantId, version.id);
    await registerTriggers(tx as unknown as Db, caller, id, version.id, graph);
    await tx
      .update(workflows)
      .set({ status: 'published', latestVersion: versionNumber, updatedAt: new Date() })
      .where(eq(workflows.id, id));
    return { version, created: true };
  });
}

/**
 * The version's nodes and edges as rows, read by PostgreSQL from the definition it just stored: one statement each,
 * whatever the graph's size. Sent as bound rows they cost a parameter per column per row (a 10,000-edge graph passes
 * PostgreSQL's limit of 65,535) and most of a big graph's publish time.
 */
async function indexVersion(tx: Db, tenantId: string, versionId: string): Promise<void> {
  await tx.execute(sql`
    insert into workflow_nodes (tenant_id, workflow_version_id, node_id, node_type, label, config, position)
    select ${tenantId}::uuid, v.id, n->>'id', n->>'type',
      case when jsonb_typeof(n->'data'->'label') = 'string' then n->'data'->>'label' end,
      coalesce(n->'data', '{}'::jsonb), nullif(n->'position', 'null'::jsonb)
    from workflow_versions v, jsonb_array_elements(v.workflow_data->'nodes') n
    where v.id = ${versionId}::uuid`);
  await tx.execute(sql`
    insert into workflow_edges (tenant_id, workflow_version_id, edge_id, source_node_id, target_node_id,
      source_handle, condition, is_default, position)
    select ${tenantId}::uuid, v.id, e->>'id', e->>'source', e->>'target',
      e->>'sourceHandle', nullif(e->'condition', 'null'::jsonb), coalesce(e->'isDefault' = 'true'::jsonb, false),
      (i - 1)::integer
    from workflow_versions v, jsonb_array_elements(v.workflow_data->'edges') with ordinality as x(e, i)
    where v.id = ${versionId}::uuid`);
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
