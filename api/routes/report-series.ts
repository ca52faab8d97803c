/**
 * `GET /api/reports/series?workflowId=&clientId=&from=&to=&bucket=hour|day`: runs created in each bucket of a
 * half-open range, by status (api/services/report-series.ts), for the dashboard's "runs over time"; and
 * `GET /api/reports/approvers?ids=`: the names of the tenant's users a report names by id (its approvers), so the
 * dashboard's approver chart can show people rather than ids.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RUN_STATUSES, users } from '../../db/schema';
import { callerOf } from '../auth';
import { badRequest } from '../errors';
import { isoMoment, uuidOf } from '../params';
import { answer, withProblems } from '../schemas/problem';
import { BUCKETS, bucketCount, MAX_BUCKETS, runSeries } from '../services/report-series';
import { rangeOf } from './reports';

const count = z.number().int().min(0);

const RunSeries = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    bucket: z.enum(BUCKETS),
    points: z.array(
      z.strictObject({
        start: z.iso.datetime({ offset: true }).meta({ description: "The bucket's first moment (UTC)" }),
        total: count,
        byStatus: z.strictObject(
          Object.fromEntries(RUN_STATUSES.map((s) => [s, count])) as Record<
            (typeof RUN_STATUSES)[number],
            typeof count
          >,
        ),
      }),
    ),
  })
  .meta({ id: 'RunSeries', description: 'One point per bucket of the range, empty buckets included, oldest first' });

const Approvers = z
  .strictObject({
    approvers: z.array(z.strictObject({ id: z.uuid(), name: z.string() })),
  })
  .meta({ id: 'ReportApprovers' });

export const reportSeriesRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/reports/series',
    {
      schema: {
        operationId: 'getRunSeries',
        summary: 'Runs created in each hour or day of a range, by status',
        tags: ['reports'],
        querystring: z
          .object({
            from: isoMoment.optional().meta({ description: 'Inclusive; default: 30 days before `to`' }),
            to: isoMoment.optional().meta({ description: 'Exclusive; default: now' }),
            bucket: z.enum(BUCKETS).default('day'),
            workflowId: uuidOf('a workflow').optional(),
            clientId: uuidOf('a client').optional(),
          })
          .strict(),
        response: withProblems({ 200: answer('The runs of each bucket', RunSeries) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const { from, to } = rangeOf(q);
      const buckets = bucketCount(from, to, q.bucket);
      if (buckets > MAX_BUCKETS)
        throw badRequest(`The range holds ${buckets} ${q.bucket}s; a series has at most ${MAX_BUCKETS} points.`, [
          { path: 'querystring.bucket', message: `at most ${MAX_BUCKETS} buckets: use day, or a shorter range` },
        ]);
      const points = await runSeries(db, {
        tenantId: caller.tenantId,
        from,
        to,
        bucket: q.bucket,
        workflowId: q.workflowId,
        clientId: q.clientId,
      });
      return { from: from.toISOString(), to: to.toISOString(), bucket: q.bucket, points };
    },
  );

  app.get(
    '/api/reports/approvers',
    {
      schema: {
        operationId: 'getReportApprovers',
        summary: "The names of the tenant's users among the approvers a report names",
        tags: ['reports'],
        querystring: z
          .object({
            ids: z
              .string()
              // Short enough that any query string the schema allows, however it is encoded, stays under Node's 16 KB
              // request-header limit (beyond it Node answers 431 before any route).
              .max(1000)
              .meta({ description: "Comma-separated: a report's byApprover[].approver values (at most 25)" }),
          })
          .strict(),
        response: withProblems({ 200: answer('Those that are users of the tenant; others are left out', Approvers) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const ids = [...new Set(request.query.ids.split(',').map((id) => id.trim()))];
      if (ids.length > MAX_IDS)
        throw badRequest(`At most ${MAX_IDS} ids at once.`, [
          { path: 'querystring.ids', message: `at most ${MAX_IDS} ids` },
        ]);
      // An approver that is not a user id (a link's email, 'unknown') simply names nobody.
      const userIds = ids.filter((id) => UUID.test(id));
      const found = userIds.length
        ? await db
            .select({ id: users.id, name: users.name })
            .from(users)
            .where(and(eq(users.tenantId, caller.tenantId), inArray(users.id, userIds)))
        : [];
      return { approvers: found };
    },
  );
};

/** Names asked for at once: 25 ids and their commas fit the query string's 1,000 characters. */
const MAX_IDS = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
