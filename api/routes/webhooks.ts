/**
 * `GET /api/webhooks`: the tenant's active webhook triggers, with the URL to give the sender and what arrived:
 * runs started, and requests refused (counted, with the last reason, never stored one by one).
 */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { workflows, workflowTriggers } from '../../db/schema';
import { callerOf } from '../auth';
import { webhookUrlPath } from './hooks';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const webhookListRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get('/api/webhooks', { schema: { tags: ['triggers'] } }, async (request) => {
    const caller = callerOf(request);
    const rows = await db
      .select({ trigger: workflowTriggers, workflowName: workflows.name, workflowStatus: workflows.status })
      .from(workflowTriggers)
      .innerJoin(workflows, eq(workflows.id, workflowTriggers.workflowId))
      .where(and(eq(workflowTriggers.tenantId, caller.tenantId), eq(workflowTriggers.isActive, true), eq(workflowTriggers.triggerType, 'webhook')));
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
  });
};
