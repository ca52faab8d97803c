/** Versions, rollback, archive, clone, export and import (api-contract.md, "Definitions"). */
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workflowVersions } from '../../db/schema';
import { callerOf } from '../auth';
import { once } from '../idempotency';
import { DraftDefinition, label, uuidOf, versionNumber, versionParam } from '../params';
import { archiveWorkflow, createWorkflow, getVersion, getWorkflow, publishWorkflow, type VersionRow } from '../services/definitions';
import { syncSchedules } from '../services/schedules';
import { workflowView } from './workflows';

const IdParams = z.object({ id: uuidOf('a workflow') });
const VersionParams = IdParams.extend({ n: versionParam });

/** The export document: one JSON carrying everything needed to recreate the workflow elsewhere. */
export const EXPORT_FORMAT = 'graphflow.workflow/v1';
const ExportDocument = z.object({
  format: z.literal(EXPORT_FORMAT),
  name: label(200),
  description: z.string().max(10_000).nullish(),
  category: label(100).optional(),
  tags: z.array(label(100)).max(50).optional(),
  isTemplate: z.boolean().optional(),
  definition: DraftDefinition,
  exportedVersion: versionNumber.nullish(),
}).strict();

function versionView(row: VersionRow, withDefinition: boolean) {
  return {
    version: row.version,
    contentHash: row.contentHash,
    changeDescription: row.changeDescription,
    isRollbackVersion: row.isRollbackVersion,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    ...(withDefinition ? { definition: row.workflowData } : {}),
  };
}

export const lifecycleRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get('/api/workflows/:id/versions', { schema: { params: IdParams, tags: ['definitions'] } }, async (request) => {
    const caller = callerOf(request);
    await getWorkflow(db, caller, request.params.id);
    const rows = await db
      .select()
      .from(workflowVersions)
      .where(and(eq(workflowVersions.workflowId, request.params.id), eq(workflowVersions.tenantId, caller.tenantId)))
      .orderBy(desc(workflowVersions.version));
    return { items: rows.map((r) => versionView(r, false)), nextCursor: null };
  });

  app.get('/api/workflows/:id/versions/:n', { schema: { params: VersionParams, tags: ['definitions'] } }, async (request) => {
    const caller = callerOf(request);
    await getWorkflow(db, caller, request.params.id);
    return versionView(await getVersion(db, caller, request.params.id, request.params.n), true);
  });

  app.post('/api/workflows/:id/versions/:n/rollback', {
    schema: { params: VersionParams, body: z.object({ changeDescription: z.string().max(2000).optional() }).strict().nullish(), tags: ['definitions'] },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const source = await getVersion(db, caller, request.params.id, request.params.n);
    const { version, created } = await publishWorkflow(db, caller, request.params.id, {
      definition: source.workflowData as Record<string, unknown>,
      isRollbackVersion: true,
      maxGraphWork: app.config.maxGraphWork,
      changeDescription: request.body?.changeDescription ?? `Rollback to version ${source.version}`,
    });
    await syncSchedules(app.runDeps, caller.tenantId, request.params.id);
    return reply.code(created ? 201 : 200).send({ ...versionView(version, false), rolledBackTo: source.version, unchanged: !created });
  });

  app.post('/api/workflows/:id/archive', { schema: { params: IdParams, tags: ['definitions'] } }, async (request) => {
    const caller = callerOf(request);
    const archived = await archiveWorkflow(db, caller, request.params.id);
    await syncSchedules(app.runDeps, caller.tenantId, request.params.id);
    return workflowView(archived);
  });

  app.post('/api/workflows/:id/clone', {
    schema: { params: IdParams, body: z.object({ name: label(200).optional() }).strict().nullish(), tags: ['definitions'] },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const source = await getWorkflow(db, caller, request.params.id);
    return once(db, caller, request, reply, async () => {
      const row = await createWorkflow(db, caller, { name: request.body?.name ?? `${source.name} (copy)`, description: source.description, category: source.category, tags: source.tags, definition: source.workflowData });
      return { status: 201, body: workflowView(row) };
    });
  });

  app.get('/api/workflows/:id/export', { schema: { params: IdParams, tags: ['definitions'] } }, async (request, reply) => {
    const caller = callerOf(request);
    const row = await getWorkflow(db, caller, request.params.id);
    const fileName = row.name.replace(/[^A-Za-z0-9._-]+/g, '-').toLowerCase() || 'workflow';
    void reply.header('content-disposition', `attachment; filename="${fileName}.json"`);
    return {
      format: EXPORT_FORMAT,
      name: row.name,
      description: row.description,
      category: row.category,
      tags: row.tags,
      isTemplate: row.isTemplate,
      definition: row.workflowData,
      exportedVersion: row.latestVersion,
    };
  });

  app.post('/api/workflows/import', { schema: { body: ExportDocument, tags: ['definitions'] } }, async (request, reply) => {
    const caller = callerOf(request);
    return once(db, caller, request, reply, async () => {
      const row = await createWorkflow(db, caller, request.body);
      return { status: 201, body: workflowView(row) };
    });
  });
};
