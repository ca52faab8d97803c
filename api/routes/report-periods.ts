/**
 * Stored period reports: `GET /api/reports/periods` reads a workflow's computed days, weeks or months (written by the
 * daily period-reports workflow), and `GET|PUT /api/reports/subscriptions` name who receives each period's summary
 * by email (admins only, api/permissions.ts).
 */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { REPORT_PERIODS, reportSubscriptions, workflows } from '../../db/schema';
import { callerOf } from '../auth';
import { notFound } from '../errors';
import { isoMoment, uuidOf } from '../params';
import { answer, withProblems } from '../schemas/problem';
import { ReportPeriod, ReportSubscription, ReportSubscriptions, StoredPeriods } from '../schemas/reports';
import { storedPeriods } from '../../reports/period-store';
import { rangeOf } from './reports';

const PeriodsQuery = z
  .object({
    workflowId: uuidOf('a workflow'),
    period: ReportPeriod,
    from: isoMoment.optional().meta({ description: 'Periods starting at or after this; default: 30 days before `to`' }),
    to: isoMoment.optional().meta({ description: 'Periods starting before this; default: now' }),
    clientId: uuidOf('a client').optional().meta({ description: "Only this client's runs" }),
  })
  .strict()
  // Checked even when another field is wrong too, so one answer lists every problem.
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    path: ['from'],
    message: 'must be before to',
    when: (payload) => {
      const { from, to } = (payload.value ?? {}) as { from?: unknown; to?: unknown };
      return typeof from === 'string' && typeof to === 'string' && !isNaN(Date.parse(from)) && !isNaN(Date.parse(to));
    },
  });

export const reportPeriodRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/reports/periods',
    {
      schema: {
        operationId: 'listStoredReportPeriods',
        summary: "A workflow's stored period reports: each computed day, week or month in a range",
        tags: ['reports'],
        querystring: PeriodsQuery,
        response: withProblems({ 200: answer('The computed periods, oldest first', StoredPeriods) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { from, to } = rangeOf(request.query);
      const { workflowId, period, clientId } = request.query;
      const found = await db
        .select({ id: workflows.id })
        .from(workflows)
        .where(and(eq(workflows.id, workflowId), eq(workflows.tenantId, caller.tenantId)))
        .limit(1);
      if (!found[0]) throw notFound('Workflow', workflowId);
      const periods = await storedPeriods(db, { tenantId: caller.tenantId, workflowId, period, clientId, from, to });
      return { workflowId, period, from: from.toISOString(), to: to.toISOString(), periods };
    },
  );

  app.get(
    '/api/reports/subscriptions',
    {
      schema: {
        operationId: 'listReportSubscriptions',
        summary: "Who receives each period's report summary by email",
        tags: ['reports'],
        response: withProblems({ 200: answer('One entry per period', ReportSubscriptions) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await db
        .select({ period: reportSubscriptions.period, recipients: reportSubscriptions.recipients })
        .from(reportSubscriptions)
        .where(eq(reportSubscriptions.tenantId, caller.tenantId));
      return {
        subscriptions: REPORT_PERIODS.map((period) => ({
          period,
          recipients: rows.find((r) => r.period === period)?.recipients ?? [],
        })),
      };
    },
  );

  app.put(
    '/api/reports/subscriptions',
    {
      schema: {
        operationId: 'setReportSubscription',
        summary: "Sets who receives a period's report summary by email (replacing the list)",
        tags: ['reports'],
        body: ReportSubscription,
        response: withProblems({ 200: answer('The subscription as stored', ReportSubscription) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { period } = request.body;
      // One address once, whatever its case: a list with repeats would mail someone twice.
      const recipients = [...new Map(request.body.recipients.map((r) => [r.toLowerCase(), r])).values()];
      await db
        .insert(reportSubscriptions)
        .values({ tenantId: caller.tenantId, period, recipients })
        .onConflictDoUpdate({
          target: [reportSubscriptions.tenantId, reportSubscriptions.period],
          set: { recipients, updatedAt: new Date() },
        });
      return { period, recipients };
    },
  );
};
