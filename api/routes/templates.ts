/**
 * `GET /api/templates`: the template library (shipped templates and the tenant's workflows marked isTemplate), and
 * `POST /api/templates/:id/use`: a new draft from one of them (api/services/templates.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../auth';
import { once } from '../idempotency';
import { label, uuidOf } from '../params';
import { TemplateList } from '../schemas/clients';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { Workflow } from '../schemas/resources';
import { checkedClientId } from '../services/clients';
import { createWorkflow } from '../services/definitions';
import { listTemplates, shippedTemplates, templateContent } from '../services/templates';
import { workflowView } from './workflows';

const TemplateParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .meta({ description: 'A template id from GET /api/templates ("shipped:<name>", or a workflow id)' }),
});

export const templateRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;
  // Read at start: a shipped template that is not a definition stops the API here, not on a user's request.
  shippedTemplates();

  app.get(
    '/api/templates',
    {
      schema: {
        operationId: 'listTemplates',
        summary: 'The template library: shipped templates and the workflows marked isTemplate',
        tags: ['definitions'],
        response: withProblems({ 200: answer('Every template (one page)', TemplateList) }),
      },
    },
    async (request) => ({ items: await listTemplates(db, callerOf(request).tenantId), nextCursor: null }),
  );

  app.post(
    '/api/templates/:id/use',
    {
      schema: {
        operationId: 'useTemplate',
        summary: 'Start a new draft from a template',
        tags: ['definitions'],
        params: TemplateParams,
        headers: IdempotencyHeaders,
        body: z
          .object({
            name: label(200).optional().meta({ description: "The draft's name; default: the template's" }),
            clientId: uuidOf('a client').nullable().optional(),
          })
          .strict()
          .nullish(),
        response: withProblems({ 201: answer('The new draft', Workflow) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const template = await templateContent(db, caller.tenantId, request.params.id);
      const clientId = await checkedClientId(db, caller.tenantId, request.body?.clientId);
      return once(db, caller, request, reply, async () => {
        const row = await createWorkflow(db, caller, {
          ...template,
          name: request.body?.name ?? template.name,
          clientId: clientId ?? null,
        });
        return { status: 201, body: workflowView(row) };
      });
    },
  );
};
