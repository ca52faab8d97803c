import { and, arrayContains, desc, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFINITION_STATUSES, PRIORITIES, workflows } from '../../db/schema';
import { callerOf } from '../auth';
import { once } from '../idempotency';
import { afterCursor, page, PageQuery } from '../pagination';
import { DraftDefinition, label, uuidOf, versionNumber } from '../params';
import {
  createWorkflow,
  getWorkflow,
  publishWorkflow,
  validateWorkflow,
  type WorkflowRow,
} from '../services/definitions';
import { checkedClientId } from '../services/clients';
import { startRun } from '../services/runs';
import { syncSchedules } from '../services/schedules';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { pageOf, Published, StartedRun, ValidationReport, Workflow } from '../schemas/resources';

const IdParams = z.object({ id: uuidOf('a workflow') });

const WorkflowBody = z
  .object({
    name: label(200),
    description: z.string().max(10_000).optional(),
    category: label(100).optional(),
    tags: z.array(label(100)).max(50).optional(),
    definition: DraftDefinition,
    isTemplate: z.boolean().optional(),
    clientId: uuidOf('a client')
      .nullable()
      .optional()
      .meta({ description: 'The client this workflow is for; on replace, left out keeps it and null clears it' }),
  })
  .strict()
  .meta({
    examples: [
      {
        name: 'Purchase approval',
        category: 'finance',
        definition: {
          nodes: [
            { id: 'start', type: 'trigger', data: { label: 'Start' } },
            { id: 'approve', type: 'approval', data: { label: 'Manager approval', approverRoles: ['manager'] } },
            { id: 'done', type: 'end', data: { label: 'Done' } },
          ],
          edges: [
            { id: 'e1', source: 'start', target: 'approve' },
            { id: 'e2', source: 'approve', target: 'done', sourceHandle: 'approved' },
          ],
        },
      },
    ],
  });

export function workflowView(row: WorkflowRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    tags: row.tags,
    status: row.status,
    isTemplate: row.isTemplate,
    clientId: row.clientId,
    latestVersion: row.latestVersion,
    definition: row.workflowData,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const workflowRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.post(
    '/api/workflows',
    {
      schema: {
        operationId: 'createWorkflow',
        summary: 'Create a draft workflow',
        tags: ['definitions'],
        headers: IdempotencyHeaders,
        body: WorkflowBody,
        response: withProblems({ 201: answer('The draft, created', Workflow) }, [409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      await checkedClientId(db, caller.tenantId, request.body.clientId);
      return once(db, caller, request, reply, async () => {
        const row = await createWorkflow(db, caller, request.body);
        return { status: 201, body: workflowView(row) };
      });
    },
  );

  app.get(
    '/api/workflows',
    {
      schema: {
        operationId: 'listWorkflows',
        summary: 'List workflows, newest first',
        tags: ['definitions'],
        response: withProblems({ 200: answer('A page of workflows', pageOf(Workflow, 'WorkflowPage')) }),
        querystring: z
          .object({
            status: z.enum(DEFINITION_STATUSES).optional(),
            category: z.string().optional(),
            tag: z.string().optional(),
            q: z.string().max(200).optional(),
            clientId: uuidOf('a client').optional(),
            ...PageQuery,
          })
          .strict(),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const where: SQL[] = [eq(workflows.tenantId, caller.tenantId)];
      if (q.status) where.push(eq(workflows.status, q.status));
      if (q.category) where.push(eq(workflows.category, q.category));
      if (q.tag) where.push(arrayContains(workflows.tags, [q.tag]));
      if (q.clientId) where.push(eq(workflows.clientId, q.clientId));
      if (q.q) {
        const pattern = `%${q.q.replace(/[%_\\]/g, '\\$&')}%`;
        where.push(or(ilike(workflows.name, pattern), ilike(workflows.description, pattern))!);
      }
      const after = afterCursor(workflows.createdAt, workflows.id, q.cursor);
      if (after) where.push(after);
      const rows = await db
        .select()
        .from(workflows)
        .where(and(...where))
        .orderBy(desc(workflows.createdAt), desc(workflows.id))
        .limit(q.limit + 1);
      const result = page<(typeof rows)[number]>(rows, q.limit);
      return { items: result.items.map(workflowView), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/api/workflows/:id',
    {
      schema: {
        operationId: 'getWorkflow',
        summary: 'Read a workflow and its draft',
        tags: ['definitions'],
        params: IdParams,
        response: withProblems({ 200: answer('The workflow', Workflow) }, [404]),
      },
    },
    async (request) => {
      return workflowView(await getWorkflow(db, callerOf(request), request.params.id));
    },
  );

  app.put(
    '/api/workflows/:id',
    {
      schema: {
        operationId: 'replaceWorkflow',
        summary: "Replace a workflow's draft",
        tags: ['definitions'],
        params: IdParams,
        body: WorkflowBody,
        response: withProblems({ 200: answer('The workflow, changed', Workflow) }, [404, ...JSON_BODY]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      await getWorkflow(db, caller, request.params.id);
      const b = request.body;
      await checkedClientId(db, caller.tenantId, b.clientId);
      const row = (
        await db
          .update(workflows)
          .set({
            name: b.name,
            description: b.description ?? null,
            category: b.category ?? 'custom',
            tags: b.tags ?? [],
            workflowData: b.definition,
            isTemplate: b.isTemplate ?? false,
            ...(b.clientId !== undefined ? { clientId: b.clientId } : {}),
            updatedAt: new Date(),
          })
          .where(and(eq(workflows.id, request.params.id), eq(workflows.tenantId, caller.tenantId)))
          .returning()
      )[0]!;
      return workflowView(row);
    },
  );

  app.post(
    '/api/workflows/:id/validate',
    {
      schema: {
        operationId: 'validateWorkflow',
        summary: 'Check a draft without publishing it',
        tags: ['definitions'],
        params: IdParams,
        response: withProblems(
          { 200: answer('What publishing would refuse (errors) and warn about', ValidationReport) },
          [404],
        ),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const result = await validateWorkflow(db, caller, await getWorkflow(db, caller, request.params.id), {
        maxGraphWork: app.config.maxGraphWork,
      });
      return { valid: result.valid, errors: result.errors, warnings: result.warnings };
    },
  );

  app.post(
    '/api/workflows/:id/publish',
    {
      schema: {
        operationId: 'publishWorkflow',
        summary: 'Publish the draft as the next immutable version',
        tags: ['definitions'],
        params: IdParams,
        body: z
          .object({ changeDescription: z.string().max(2000).optional() })
          .strict()
          .nullish(),
        response: withProblems(
          {
            200: answer('The draft equals the latest version: nothing new was published', Published),
            201: answer('A new version', Published),
          },
          [404, 409, 422, 503, ...JSON_BODY],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { version, created } = await publishWorkflow(db, caller, request.params.id, {
        changeDescription: request.body?.changeDescription,
        maxGraphWork: app.config.maxGraphWork,
      });
      await syncSchedules(app.runDeps, caller.tenantId, request.params.id);
      return reply.code(created ? 201 : 200).send({
        version: version.version,
        contentHash: version.contentHash,
        changeDescription: version.changeDescription,
        createdAt: version.createdAt.toISOString(),
        unchanged: !created,
      });
    },
  );

  app.post(
    '/api/workflows/:id/runs',
    {
      schema: {
        operationId: 'startRun',
        summary: 'Start a run of a published workflow',
        tags: ['runs'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: z
          .object({
            input: z.unknown().optional(),
            priority: z.enum(PRIORITIES).optional(),
            version: versionNumber.optional(),
            clientId: uuidOf('a client')
              .optional()
              .meta({ description: "The client the run is for; default: the workflow's" }),
          })
          .strict()
          .nullish()
          .meta({ examples: [{ input: { amount: 1200, requester: 'ana@example.com' }, priority: 'high' }] }),
        response: withProblems(
          { 202: answer('The run, started (or the one this Idempotency-Key already started)', StartedRun) },
          [404, 409, 503, ...JSON_BODY],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body ?? {};
      const key = request.headers['idempotency-key'];
      const clientId = await checkedClientId(db, caller.tenantId, body.clientId);
      const started = await startRun(app.runDeps, caller, {
        ...(clientId ? { clientId } : {}),
        workflowId: request.params.id,
        input: body.input,
        ...(body.priority ? { priority: body.priority } : {}),
        ...(body.version ? { version: body.version } : {}),
        ...(typeof key === 'string' && key ? { idempotencyKey: key } : {}),
      });
      return reply.code(202).send(started);
    },
  );
};
