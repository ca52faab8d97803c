import { and, asc, desc, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PRIORITIES, RUN_STATUSES, workflowApprovals, workflowExecutions, workflowInstances, workflowNotifications } from '../../db/schema';
import { callerOf } from '../auth';
import { notFound } from '../errors';
import { afterCursor, page, PageQuery } from '../pagination';

type InstanceRow = typeof workflowInstances.$inferSelect;
type ExecutionRow = typeof workflowExecutions.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function runView(row: InstanceRow) {
  return {
    id: row.id,
    workflowId: row.workflowId,
    version: row.version,
    status: row.status,
    priority: row.priority,
    progress: row.progress,
    currentSteps: row.currentSteps,
    input: row.input,
    output: row.output,
    error: row.error,
    startedAt: iso(row.startedAt),
    completedAt: iso(row.completedAt),
    createdAt: row.createdAt.toISOString(),
    triggeredBy: row.triggeredBy,
    triggerSource: row.triggerSource,
  };
}

export function stepView(row: ExecutionRow) {
  return {
    id: row.id,
    nodeId: row.nodeId,
    nodeType: row.nodeType,
    label: row.label,
    visit: row.visit,
    status: row.status,
    handle: row.handle,
    input: row.input,
    output: row.output,
    error: row.error,
    attempt: row.attempt,
    startedAt: row.startedAt.toISOString(),
    completedAt: iso(row.completedAt),
    durationMs: row.durationMs,
  };
}

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get('/api/runs', {
    schema: {
      tags: ['runs'],
      querystring: z.object({
        workflowId: z.uuid().optional(),
        status: z.enum(RUN_STATUSES).optional(),
        priority: z.enum(PRIORITIES).optional(),
        triggeredBy: z.string().max(200).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        ...PageQuery,
      }).strict(),
    },
  }, async (request) => {
    const caller = callerOf(request);
    const q = request.query;
    const where: SQL[] = [eq(workflowInstances.tenantId, caller.tenantId)];
    if (q.workflowId) where.push(eq(workflowInstances.workflowId, q.workflowId));
    if (q.status) where.push(eq(workflowInstances.status, q.status));
    if (q.priority) where.push(eq(workflowInstances.priority, q.priority));
    if (q.triggeredBy) where.push(eq(workflowInstances.triggeredBy, q.triggeredBy));
    if (q.from) where.push(gte(workflowInstances.createdAt, new Date(q.from)));
    if (q.to) where.push(lte(workflowInstances.createdAt, new Date(q.to)));
    const after = afterCursor(workflowInstances.createdAt, workflowInstances.id, q.cursor);
    if (after) where.push(after);
    const rows = await db.select().from(workflowInstances).where(and(...where)).orderBy(desc(workflowInstances.createdAt), desc(workflowInstances.id)).limit(q.limit + 1);
    const result = page<(typeof rows)[number]>(rows, q.limit);
    return { items: result.items.map(runView), nextCursor: result.nextCursor };
  });

  app.get('/api/runs/:runId', { schema: { tags: ['runs'], params: z.object({ runId: z.string().min(1).max(300) }) } }, async (request) => {
    const caller = callerOf(request);
    const { runId } = request.params;
    const row = (await db.select().from(workflowInstances).where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, caller.tenantId))).limit(1))[0];
    if (!row) throw notFound('Run', runId);
    const scoped = <T extends { tenantId: unknown; instanceId: unknown }>(t: T) => and(eq(t.instanceId as never, runId), eq(t.tenantId as never, caller.tenantId));
    const [steps, approvals, notifications] = await Promise.all([
      db.select().from(workflowExecutions).where(scoped(workflowExecutions)).orderBy(asc(workflowExecutions.startedAt), asc(workflowExecutions.id)),
      db.select().from(workflowApprovals).where(scoped(workflowApprovals)).orderBy(asc(workflowApprovals.requestedAt)),
      db.select().from(workflowNotifications).where(scoped(workflowNotifications)).orderBy(asc(workflowNotifications.createdAt)),
    ]);
    return { ...runView(row), steps: steps.map(stepView), approvals, notifications };
  });
};
