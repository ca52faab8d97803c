import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HttpProblem } from '../errors';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async () => {
    const checks: Record<string, string> = {};
    await Promise.all([
      app.database.ping().then(
        () => (checks.postgres = 'ok'),
        (e: Error) => (checks.postgres = e.message),
      ),
      app.temporal.workflowService.getSystemInfo({}).then(
        () => (checks.temporal = 'ok'),
        (e: Error) => (checks.temporal = e.message),
      ),
    ]);
    if (Object.values(checks).every((v) => v === 'ok')) return { status: 'ready', checks };
    throw new HttpProblem(503, 'not-ready', 'A service the API needs is unreachable.', undefined, { checks });
  });
};
