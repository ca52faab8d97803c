import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Dependency } from '../dependency-errors';
import { HttpProblem } from '../errors';
import { healthzSchema, readyzSchema } from '../schemas/health';

/** A readiness probe answers within a second, whatever its dependencies do. */
const CHECK_TIMEOUT_MS = 800;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readyzSchema }, async () => {
    const probes: Record<Dependency, () => Promise<unknown>> = {
      database: () => app.database.ping(),
      temporal: () => app.temporal.workflowService.getSystemInfo({}),
    };
    const checks: Record<string, string> = {};
    const unavailable: Dependency[] = [];
    await Promise.all(
      (Object.keys(probes) as Dependency[]).map((name) =>
        within(probes[name](), CHECK_TIMEOUT_MS).then(
          () => {
            checks[name === 'database' ? 'postgres' : name] = 'ok';
            app.outages[name].success();
          },
          (e: Error) => {
            checks[name === 'database' ? 'postgres' : name] = e.message.split('\n')[0]!;
            unavailable.push(name);
            app.outages[name].failure(e);
          },
        ),
      ),
    );
    if (!unavailable.length) return { status: 'ready', checks };
    unavailable.sort();
    // The error handler adds Retry-After, as to every 503.
    throw new HttpProblem(
      503,
      'not-ready',
      `Unreachable: ${unavailable.map((d) => `${d}_unavailable`).join(', ')}.`,
      undefined,
      { checks, unavailable: unavailable.map((d) => `${d}_unavailable`) },
    );
  });
};
