/** `POST /api/runs/:runId/migrate`: a running run moves to another published version (services/run-migration.ts). */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workflowInstances } from '../../db/schema';
import { callerOf } from '../auth';
import { notFound } from '../errors';
import { migrateRun } from '../services/run-migration';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { MigratedRun, MigrateRequest } from '../schemas/resources';

const RunParams = z.object({ runId: z.string().min(1).max(300) });

export const runMigrationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/runs/:runId/migrate',
    {
      schema: {
        operationId: 'migrateRun',
        summary: 'Move a running run to another published version of its workflow, at the nodes it waits at',
        tags: ['runs'],
        params: RunParams,
        body: MigrateRequest,
        response: withProblems({ 202: answer('The run moves once its work in flight is done', MigratedRun) }, [
          400,
          404,
          409,
          422,
          503,
          ...JSON_BODY,
        ]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { db } = app.database;
      const run = (
        await db
          .select()
          .from(workflowInstances)
          .where(and(eq(workflowInstances.id, request.params.runId), eq(workflowInstances.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!run) throw notFound('Run', request.params.runId);
      const moved = await migrateRun({ db, temporal: app.temporal }, caller.userId, run, request.body);
      return reply.code(202).send(moved);
    },
  );
};
