/**
 * `GET /api/webhooks`: the tenant's active webhook triggers, with the URL to give the sender and what arrived:
 * runs started, and requests refused (counted, with the last reason, never stored one by one).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerOf } from '../auth';
import { webhookUrlPath } from './hooks';
import { z } from 'zod';
import { activeTriggers } from '../services/active-triggers';
import { answer, withProblems } from '../schemas/problem';
import { Webhook } from '../schemas/resources';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const webhookListRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhook triggers with their URLs and what arrived',
        tags: ['triggers'],
        response: withProblems({
          200: answer(
            'Every webhook (one page)',
            z.strictObject({ items: z.array(Webhook), nextCursor: z.null() }).meta({ id: 'WebhookPage' }),
          ),
        }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await activeTriggers(db, caller.tenantId, 'webhook');
      const items = rows.map(({ trigger, workflowName, workflowStatus }) => {
        const config = trigger.config as { preset?: string };
        return {
          workflowId: trigger.workflowId,
          workflowName,
          workflowStatus,
          nodeId: trigger.nodeId,
          path: trigger.path,
          url: `${app.config.publicUrl.replace(/\/$/, '')}${webhookUrlPath(trigger.tenantId, trigger.path ?? '')}`,
          preset: config.preset ?? 'generic',
          triggerCount: trigger.triggerCount,
          lastTriggered: iso(trigger.lastTriggered),
          rejectedCount: trigger.rejectedCount,
          lastRejectedAt: iso(trigger.lastRejectedAt),
          lastRejectionReason: trigger.lastRejectionReason,
        };
      });
      return { items, nextCursor: null };
    },
  );
};
