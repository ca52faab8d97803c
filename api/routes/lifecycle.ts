/** Versions, rollback, archive, clone, export and import (api-contract.md, "Definitions"). */
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workflowVersions } from '../../db/schema';
import { callerOf } from '../auth';
import { once } from '../idempotency';
import { DraftDefinition, label, uuidOf, versionNumber, versionParam } from '../params';
import {
  archiveWorkflow,
  createWorkflow,
  getVersion,
  getWorkflow,
  publishWorkflow,
  type VersionRow,
} from '../services/definitions';
import { syncSchedules } from '../services/schedules';
import { workflowView } from './workflows';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { ExportDocumentView, pageOf, RolledBack, Version, VersionSummary, Workflow } from '../schemas/resources';

const IdParams = z.object({ id: uuidOf('a workflow') });
const VersionParams = IdParams.extend({ n: versionParam });

/** The export document: one JSON carrying everything needed to recreate the workflow elsewhere. */
export const EXPORT_FORMAT = 'graphflow.workflow/v1';
const ExportDocument = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    name: label(200),
    description: z.string().max(10_000).nullish(),
    category: label(100).optional(),
    tags: z.array(label(100)).max(50).optional(),
    isTemplate: z.boolean().optional(),
    definition: DraftDefinition,
    exportedVersion: versionNumber.nullish(),
  })
  .strict();

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

  app.get(
    '/api/workflows/:id/versions',
    {
      schema: {
        operationId: 'listVersions',
        summary: "List a workflow's published versions, newest first",
        tags: ['definitions'],
        params: IdParams,
        response: withProblems(
          { 200: answer('Every version (one page)', pageOf(VersionSummary, 'VersionPage')) },
          [404],
        ),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      await getWorkflow(db, caller, request.params.id);
      const rows = await db
        .select()
        .from(workflowVersions)
        .where(and(eq(workflowVersions.workflowId, request.params.id), eq(workflowVersions.tenantId, caller.tenantId)))
        .orderBy(desc(workflowVersions.version));
      return { items: rows.map((r) => versionView(r, false)), nextCursor: null };
    },
  );

  app.get(
    '/api/workflows/:id/versions/:n',
    {
      schema: {
        operationId: 'getVersion',
        summary: 'Read one published version with its definition',
        tags: ['definitions'],
        params: VersionParams,
        response: withProblems({ 200: answer('The version', Version) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      await getWorkflow(db, caller, request.params.id);
      return versionView(await getVersion(db, caller, request.params.id, request.params.n), true);
    },
  );

  app.post(
    '/api/workflows/:id/versions/:n/rollback',
    {
      schema: {
        operationId: 'rollbackWorkflow',
        summary: 'Publish an earlier version again as the next version',
        tags: ['definitions'],
        params: VersionParams,
        body: z
          .object({ changeDescription: z.string().max(2000).optional() })
          .strict()
          .nullish(),
        response: withProblems(
          {
            200: answer('That version is the latest already: nothing new was published', RolledBack),
            201: answer('A new version, copied from the earlier one', RolledBack),
          },
          [404, 409, 422, 503, ...JSON_BODY],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const source = await getVersion(db, caller, request.params.id, request.params.n);
      const { version, created } = await publishWorkflow(db, caller, request.params.id, {
        definition: source.workflowData as Record<string, unknown>,
        isRollbackVersion: true,
        maxGraphWork: app.config.maxGraphWork,
        changeDescription: request.body?.changeDescription ?? `Rollback to version ${source.version}`,
      });
      await syncSchedules(app.runDeps, caller.tenantId, request.params.id);
      return reply
        .code(created ? 201 : 200)
        .send({ ...versionView(version, false), rolledBackTo: source.version, unchanged: !created });
    },
  );

  app.post(
    '/api/workflows/:id/archive',
    {
      schema: {
        operationId: 'archiveWorkflow',
        summary: 'Archive a workflow: it starts no new runs',
        tags: ['definitions'],
        params: IdParams,
        response: withProblems({ 200: answer('The workflow, archived', Workflow) }, [404, 503]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const archived = await archiveWorkflow(db, caller, request.params.id);
      await syncSchedules(app.runDeps, caller.tenantId, request.params.id);
      return workflowView(archived);
    },
  );

  app.post(
    '/api/workflows/:id/clone',
    {
      schema: {
        operationId: 'cloneWorkflow',
        summary: "Copy a workflow's draft into a new workflow",
        tags: ['definitions'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: z
          .object({ name: label(200).optional() })
          .strict()
          .nullish(),
        response: withProblems({ 201: answer('The copy, a new draft', Workflow) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const source = await getWorkflow(db, caller, request.params.id);
      return once(db, caller, request, reply, async () => {
        const row = await createWorkflow(db, caller, {
          name: request.body?.name ?? `${source.name} (copy)`,
          description: source.description,
          category: source.category,
          tags: source.tags,
          clientId: source.clientId,
          definition: source.workflowData,
        });
        return { status: 201, body: workflowView(row) };
      });
    },
  );

  app.get(
    '/api/workflows/:id/export',
    {
      schema: {
        operationId: 'exportWorkflow',
        summary: 'Export a workflow as one JSON document',
        tags: ['definitions'],
        params: IdParams,
        response: withProblems(
          { 200: answer('The export document (POST it to /api/workflows/import elsewhere)', ExportDocumentView) },
          [404],
        ),
      },
    },
    async (request, reply) => {
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
    },
  );

  app.post(
    '/api/workflows/import',
    {
      schema: {
        operationId: 'importWorkflow',
        summary: 'Create a draft workflow from an export document',
        tags: ['definitions'],
        headers: IdempotencyHeaders,
        body: ExportDocument,
        response: withProblems({ 201: answer('The imported draft', Workflow) }, [409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      return once(db, caller, request, reply, async () => {
        const row = await createWorkflow(db, caller, request.body);
        return { status: 201, body: workflowView(row) };
      });
    },
  );
};
