/**
 * `GET /api/me`: who the key belongs to, so a client (the console) can show
 * only the actions the caller's roles allow. The server checks again on every
 * action; this only spares people buttons that would answer 403.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth';
import { answer, withProblems } from '../schemas/problem';

const Me = z
  .object({
    userId: z.string(),
    tenantId: z.string(),
    email: z.string(),
    roles: z.array(z.string()),
    temporalUiUrl: z.string().nullable().meta({
      description:
        "The Temporal Web UI's page of this platform's namespace (a run is at `<temporalUiUrl>/workflows/<runId>`); null when not known (TEMPORAL_ADDRESS set without TEMPORAL_UI_URL)",
    }),
  })
  .meta({ id: 'Me', description: 'The caller: its user, tenant and roles, and where to look further' });

export const meRoutes: FastifyPluginAsyncZod = async (app) => {
  const { temporal } = app.config;
  // `npm start` runs its own dev server (no TEMPORAL_ADDRESS) with the Web UI on TEMPORAL_UI_PORT.
  const uiBase = temporal.uiUrl ?? (temporal.address ? null : `http://127.0.0.1:${temporal.uiPort}`);
  const temporalUiUrl = uiBase
    ? `${uiBase.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(temporal.namespace)}`
    : null;

  app.get(
    '/api/me',
    {
      schema: {
        operationId: 'getMe',
        summary: "The caller's user, tenant and roles",
        tags: ['admin'],
        response: withProblems({ 200: answer('The caller', Me) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      return {
        userId: caller.userId,
        tenantId: caller.tenantId,
        email: caller.email,
        roles: caller.roles,
        temporalUiUrl,
      };
    },
  );
};
