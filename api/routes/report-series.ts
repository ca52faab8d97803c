/**
 * `GET /api/reports/series?workflowId=&clientId=&from=&to=&bucket=hour|day`: runs created in each bucket of a
 * half-open range, by status (api/services/report-series.ts), for the dashboard's "runs over time".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RUN_STATUSES } from '../../db/schema';
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
};
