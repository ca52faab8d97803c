/**
 * `GET /api/reports/workflows/:id?from=&to=`: how a workflow's runs went in a range, and `GET /api/reports/overview`:
 * the run figures of every workflow of the tenant (api/services/reports.ts).
 * The range is half-open, [from, to), over when runs were created; it defaults to the 30 days before now. A range
 * spanning stored period reports reads their days and only its edges live (api/services/report-ranges.ts).
 */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workflows } from '../../db/schema';
import { callerOf } from '../auth';
import { badRequest, notFound } from '../errors';
import { isoMoment, uuidOf } from '../params';
import { answer, withProblems } from '../schemas/problem';
import { ReportOverview, WorkflowReport } from '../schemas/reports';
import { rangedWorkflowReport } from '../services/report-ranges';
import { overviewReport } from '../services/reports';
import { reportPeriodRoutes } from './report-periods';

const DEFAULT_RANGE_MS = 30 * 24 * 3600 * 1000;

const RangeQuery = z
  .object({
    from: isoMoment.optional().meta({ description: 'Inclusive; default: 30 days before `to`' }),
    to: isoMoment.optional().meta({ description: 'Exclusive; default: now' }),
    clientId: uuidOf('a client').optional().meta({ description: 'Only the runs for this client' }),
  })
  .strict();

/** The half-open range a query names, or a 400 when it holds nothing. */
export function rangeOf(query: { from?: string | undefined; to?: string | undefined }): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime())
    throw badRequest('The range is empty: `from` must be before `to`.', [
      { path: 'querystring.from', message: `must be before to (${to.toISOString()})` },
    ]);
  return { from, to };
}

export const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;
  await app.register(reportPeriodRoutes);

  app.get(
    '/api/reports/workflows/:id',
    {
      schema: {
        operationId: 'getWorkflowReport',
        summary: "A workflow's runs, steps and approvals in a range: counts, success rate and percentiles",
        tags: ['reports'],
        params: z.object({ id: uuidOf('a workflow') }),
        querystring: RangeQuery,
        response: withProblems({ 200: answer("The workflow's report", WorkflowReport) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { from, to } = rangeOf(request.query);
      const workflow = (
        await db
          .select({ id: workflows.id })
          .from(workflows)
          .where(and(eq(workflows.id, request.params.id), eq(workflows.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!workflow) throw notFound('Workflow', request.params.id);
      const report = await rangedWorkflowReport(db, {
        tenantId: caller.tenantId,
        workflowId: workflow.id,
        from,
        to,
        clientId: request.query.clientId,
      });
      return { workflowId: workflow.id, from: from.toISOString(), to: to.toISOString(), ...report };
    },
  );

  app.get(
    '/api/reports/overview',
    {
      schema: {
        operationId: 'getReportOverview',
        summary: 'Run counts, success rate and duration percentiles of every workflow of the tenant in a range',
        tags: ['reports'],
        querystring: RangeQuery,
        response: withProblems({ 200: answer('The figures, in all and per workflow', ReportOverview) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { from, to } = rangeOf(request.query);
      const overview = await overviewReport(db, {
        tenantId: caller.tenantId,
        from,
        to,
        clientId: request.query.clientId,
      });
      return { from: from.toISOString(), to: to.toISOString(), ...overview };
    },
  );
};
