/**
 * Builds the Fastify app: zod validation, one problem+json error handler,
 * authentication, and one route plugin per resource. server.ts listens;
 * tests call `buildApp` and use `inject`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { enforceAccess } from './access';
import {
  dependencyOfProblem,
  dependencyProblem,
  RETRY_AFTER_SECONDS,
  unavailableDependency,
  type Dependency,
} from './dependency-errors';
import { HttpProblem, type ProblemEntry, toProblem } from './errors';
import { createJwtVerifier } from './jwt-verifier';
import { OutageLog } from '../lib/outage-log';
import { openApiOptions } from './openapi';
import { methodNotAllowed, trackRouteMethods } from './method-not-allowed';
import { guardHostileInput } from './hostile-input';
import { registerRateLimit } from './rate-limit';
import { adminRoutes } from './routes/admin';
import { userRoutes } from './routes/users';
import { approvalLinkRoutes } from './routes/approval-links';
import { approvalRoutes } from './routes/approvals';
import { healthRoutes } from './routes/health';
import { hookRoutes } from './routes/hooks';
import { webhookListRoutes } from './routes/webhooks';
import { lifecycleRoutes } from './routes/lifecycle';
import { runRoutes } from './routes/runs';
import { runMigrationRoutes } from './routes/run-migration';
import { triggerRoutes } from './routes/triggers';
import { variableRoutes } from './routes/variables';
import { documentRoutes } from './routes/documents';
import { workflowRoutes } from './routes/workflows';
import { meRoutes } from './routes/me';
import { metricsRoutes } from './routes/metrics';
import { nodeTypeRoutes } from './routes/node-types';
import { reportRoutes } from './routes/reports';
import { reportSeriesRoutes } from './routes/report-series';
import { clientRoutes } from './routes/clients';
import { templateRoutes } from './routes/templates';
import { runEventRoutes } from './routes/run-events';
import { simulateRoutes } from './routes/simulate';
import { consoleRoutes } from './static';
import type { RunDeps } from './services/runs';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    temporal: Client;
    runDeps: RunDeps;
    /** One outage log per dependency: a line when it goes, a summary while away, a line when back. */
    outages: Record<Dependency, OutageLog>;
  }
}

export interface AppDeps {
  config: Config;
  database: Database;
  temporal: Client;
  logger?: boolean | object;
  /** Where the API's log lines go (standard output when unset); the production redaction applies either way. */
  logStream?: { write(line: string): void };
}

export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

function validationPath(
  context: string | undefined,
  instancePath: string,
  params: Record<string, unknown> | undefined,
): string {
  const segments = instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`));
  const missing = params && typeof params.missingProperty === 'string' ? `.${params.missingProperty}` : '';
  return `${context ?? 'body'}${segments.join('')}${missing}`;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? {
      level: deps.config.logLevel,
      redact: ['req.headers.authorization', 'req.body.value'],
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Run ids and webhook paths are case-sensitive; trailing slashes are forgiven.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', deps.config);
  app.decorate('database', deps.database);
  app.decorate('temporal', deps.temporal);
  app.decorate('runDeps', { db: deps.database.db, temporal: deps.temporal, config: deps.config });

  const outageLine = (line: string) => app.log.warn(line);
  app.decorate('outages', {
    temporal: new OutageLog({
      name: 'temporal',
      log: outageLine,
      probe: () => deps.temporal.workflowService.getSystemInfo({}),
    }),
    database: new OutageLog({ name: 'database', log: outageLine, probe: () => deps.database.ping() }),
  });
  app.addHook('onClose', async () => Object.values(app.outages).forEach((outage) => outage.close()));

  app.setErrorHandler((thrown, request, reply) => {
    // Services refuse in the domain's words (lib/domain-errors.ts); from here on they are problems like any other.
    const error = toProblem(thrown) as typeof thrown;
    let problem: HttpProblem;
    const unavailable = error instanceof HttpProblem ? undefined : unavailableDependency(error);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = (error as { validationContext?: string }).validationContext;
      const errors: ProblemEntry[] = error.validation.map((v) => ({
        path: validationPath(context, v.instancePath, v.params as Record<string, unknown>),
        message: v.message ?? 'invalid',
      }));
      problem = new HttpProblem(
        400,
        'invalid-request',
        `The request ${context ?? 'body'} has ${errors.length} problem(s); nothing was changed.`,
        errors,
      );
    } else if (error instanceof HttpProblem) {
      problem = error;
      const dependency = dependencyOfProblem(problem);
      if (dependency) {
        app.outages[dependency].failure(error);
        problem = dependencyProblem(dependency, problem.message);
      }
    } else if (unavailable) {
      // Not the caller's fault and not a bug: say which service is away.
      app.outages[unavailable].failure(error);
      problem = dependencyProblem(unavailable);
    } else {
      const status =
        typeof (error as { statusCode?: number }).statusCode === 'number'
          ? (error as { statusCode: number }).statusCode
          : 500;
      if (status >= 400 && status < 500) {
        const slug = status === 413 ? 'body-too-large' : status === 415 ? 'unsupported-media-type' : 'invalid-request';
        problem = new HttpProblem(
          status,
          slug,
          (error as Error).message,
          status === 400 ? [{ path: 'body', message: (error as Error).message }] : undefined,
        );
      } else {
        request.log.error({ err: error, url: request.url, method: request.method }, 'unhandled error');
        problem = new HttpProblem(
          500,
          'internal',
          'Something went wrong on our side; it has been logged. Retry, and if it persists, report the request id.',
          undefined,
          { requestId: request.id },
        );
      }
    }
    // Every 503 is "come back later": say when.
    if (problem.status === 503 && !reply.hasHeader('retry-after'))
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply.code(problem.status).type('application/problem+json').send(problem.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(path);
    if (allowed.length)
      return void reply
        .code(405)
        .header('allow', allowed.join(', '))
        .type('application/problem+json')
        .send(methodNotAllowed(request.method, path, allowed).toBody());
    const problem = new HttpProblem(
      404,
      'no-route',
      `No route ${request.method} ${request.url.split('?')[0]}. The routes are listed at /openapi.json.`,
    );
    void reply.code(404).type('application/problem+json').send(problem.toBody());
  });

  await registerRateLimit(app, deps.config);
  // Before any route registers, so every route (the API browser's too) is checked against the permission matrix.
  const jwtSignIn = deps.config.jwtSignIn;
  enforceAccess(
    app,
    deps.database.db,
    jwtSignIn &&
      createJwtVerifier(jwtSignIn, {
        onUnreachable: (err) =>
          app.log.warn(
            { err },
            "the identity provider's keys (AUTH_JWKS_URL) could not be fetched; bearer JWTs answer 503",
          ),
      }),
  );
  const allowedMethods = trackRouteMethods(app);
  guardHostileInput(app);

  await app.register(swagger, openApiOptions({ title: 'graphflow API', version: '1' }));

  await app.register(swaggerUi, { routePrefix: '/docs' });

  // First: it measures every route registered after it.
  await app.register(metricsRoutes);
  await app.register(healthRoutes);
  await app.register(workflowRoutes);
  await app.register(simulateRoutes);
  await app.register(lifecycleRoutes);
  await app.register(nodeTypeRoutes);
  await app.register(runRoutes);
  await app.register(runMigrationRoutes);
  await app.register(adminRoutes);
  await app.register(userRoutes);
  await app.register(approvalRoutes);
  await app.register(hookRoutes);
  await app.register(webhookListRoutes);
  await app.register(approvalLinkRoutes);
  await app.register(triggerRoutes);
  await app.register(variableRoutes);
  await app.register(documentRoutes);
  await app.register(runEventRoutes);
  await app.register(meRoutes);
  await app.register(reportRoutes);
  await app.register(reportSeriesRoutes);
  await app.register(clientRoutes);
  await app.register(templateRoutes);
  await app.register(consoleRoutes);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
