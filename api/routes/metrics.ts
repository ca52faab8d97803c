/**
 * `GET /metrics`: Prometheus text (api/services/metrics.ts says what each series means), and the hooks that
 * observe every request and webhook delivery this process answers.
 *
 * The figures are the platform's, across tenants, so a tenant's key is not enough: the scraper sends
 * `Authorization: Bearer <METRICS_TOKEN>`, or an admin key of the default tenant (the operator's own, where
 * ADMIN_API_KEY lives). The matrix lists the route as public because this handler decides.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { z } from 'zod';
import { tenants } from '../../db/schema';
import { authenticate } from '../auth';
import { forbidden } from '../errors';
import { answer, withProblems } from '../schemas/problem';
import { createAppMetrics, deliveryResult } from '../services/metrics';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
/** Compared as digests, so neither the token's length nor its first differing character shows in the timing. */
const sameToken = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

const bearerOf = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

async function mayScrape(app: FastifyInstance, request: FastifyRequest): Promise<void> {
  const token = bearerOf(request.headers.authorization);
  const expected = app.config.metricsToken;
  if (token && expected && sameToken(token, expected)) return;
  // Not the token: it must be a key (authenticate answers 401 for anything else), and an admin of the default tenant.
  const caller = await authenticate(app.database.db, request.headers.authorization);
  const tenant = (
    await app.database.db.select({ isDefault: tenants.isDefault }).from(tenants).where(eq(tenants.id, caller.tenantId))
  )[0];
  if (!caller.roles.includes('admin') || !tenant?.isDefault)
    throw forbidden(
      "The platform's metrics need METRICS_TOKEN or an admin key of the default tenant; this key is neither.",
    );
}

async function metricsPlugin(app: FastifyInstance): Promise<void> {
  const metrics = createAppMetrics(app.database.db, (error) =>
    app.log.warn({ err: error }, 'metrics: the database series were left out of this scrape'),
  );

  // On the root instance (fastify-plugin), so every route registered after it is measured.
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never the raw URL: a stranger's random paths must not mint new series.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (route === '/hooks/:scope/:path') metrics.webhookDeliveries.inc({ result: deliveryResult(reply.statusCode) });
  });

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics of the platform and of this process',
        description:
          'Needs `Authorization: Bearer <METRICS_TOKEN>` or an admin key of the default tenant. Run and approval series are read from the database (the same in every process: aggregate with max); HTTP and webhook series count what this process answered (aggregate with sum).',
        tags: ['metrics'],
        produces: ['text/plain'],
        response: withProblems(
          { 200: answer('Prometheus text exposition format 0.0.4', z.string(), 'text/plain') },
          [401, 403],
          { publicRoute: true },
        ),
      },
    },
    async (request, reply) => {
      await mayScrape(app, request);
      const { text, contentType } = await metrics.render();
      return reply.type(contentType).send(text);
    },
  );
}

export const metricsRoutes = fastifyPlugin(metricsPlugin, { name: 'graphflow-metrics' });
