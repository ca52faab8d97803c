import { and, asc, desc, eq, getTableColumns, gte, lte, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  PRIORITIES,
  RUN_STATUSES,
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
  workflowNotifications,
} from '../../db/schema';
import { callerOf, type Caller } from '../auth';
import { expand } from '../../db/payloads';
import { unavailableDependency } from '../dependency-errors';
import { badRequest, conflict, notFound } from '../errors';
import { startRun } from '../services/runs';
import { resumeFailedRun } from '../../runs/resume';
import { pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages';
import { afterCursor, cursorMoment, page, PageQuery } from '../pagination';
import { isoMoment, uuidOf, versionParam } from '../params';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import {
  pageOf,
  RetriedRun,
  RetryRequest,
  Run,
  RunDetail,
  RunHistory,
  RunSignalled,
  RunState,
} from '../schemas/resources';

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
    clientId: row.clientId,
    retryOf: row.retryOf,
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

/** The rows of one run of one tenant, in any of the projection tables. */
const ofRun =
  (runId: string, tenantId: string) =>
  <T extends { tenantId: unknown; instanceId: unknown }>(t: T) =>
    and(eq(t.instanceId as never, runId), eq(t.tenantId as never, tenantId));

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/runs',
    {
      schema: {
        operationId: 'listRuns',
        summary: 'List runs, newest first',
        tags: ['runs'],
        response: withProblems({ 200: answer('A page of runs', pageOf(Run, 'RunPage')) }),
        querystring: z
          .object({
            workflowId: z.uuid().optional(),
            version: versionParam.optional().meta({ description: 'A version of the workflow named by workflowId' }),
            status: z.enum(RUN_STATUSES).optional(),
            priority: z.enum(PRIORITIES).optional(),
            triggeredBy: z.string().max(200).optional(),
            from: isoMoment.optional(),
            to: isoMoment.optional(),
            clientId: uuidOf('a client').optional(),
            ...PageQuery,
          })
          .strict(),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const where: SQL[] = [eq(workflowInstances.tenantId, caller.tenantId)];
      if (q.workflowId) where.push(eq(workflowInstances.workflowId, q.workflowId));
      // Version numbers are per workflow: without one, "version 2" names nothing in particular.
      if (q.version !== undefined && !q.workflowId)
        throw badRequest('A version is a version of one workflow: name it with workflowId.', [
          { path: 'querystring.version', message: 'needs workflowId' },
        ]);
      if (q.version !== undefined) where.push(eq(workflowInstances.version, q.version));
      if (q.status) where.push(eq(workflowInstances.status, q.status));
      if (q.priority) where.push(eq(workflowInstances.priority, q.priority));
      if (q.triggeredBy) where.push(eq(workflowInstances.triggeredBy, q.triggeredBy));
      if (q.from) where.push(gte(workflowInstances.createdAt, new Date(q.from)));
      if (q.to) where.push(lte(workflowInstances.createdAt, new Date(q.to)));
      if (q.clientId) where.push(eq(workflowInstances.clientId, q.clientId));
      const after = afterCursor(workflowInstances.createdAt, workflowInstances.id, q.cursor);
      if (after) where.push(after);
      const rows = await db
        .select({ ...getTableColumns(workflowInstances), cursorAt: cursorMoment(workflowInstances.createdAt) })
        .from(workflowInstances)
        .where(and(...where))
        .orderBy(desc(workflowInstances.createdAt), desc(workflowInstances.id))
        .limit(q.limit + 1);
      const result = page<(typeof rows)[number]>(rows, q.limit);
      return { items: result.items.map(runView), nextCursor: result.nextCursor };
    },
  );

  const RunParams = z.object({ runId: z.string().min(1).max(300) });
  const loadRun = async (caller: Caller, runId: string) => {
    const row = (
      await db
        .select()
        .from(workflowInstances)
        .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, caller.tenantId)))
        .limit(1)
    )[0];
    if (!row) throw notFound('Run', runId);
    return row;
  };
  const closedProblem = (status: string, action: string) =>
    conflict(`The run is ${status}; it cannot be ${action}.`, { runStatus: status });

  app.post(
    '/api/runs/:runId/cancel',
    {
      schema: {
        operationId: 'cancelRun',
        summary: 'Cancel a run',
        tags: ['runs'],
        params: RunParams,
        response: withProblems({ 202: answer('Cancellation asked of the run', RunSignalled) }, [404, 409]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const run = await loadRun(caller, request.params.runId);
      if (['completed', 'failed', 'cancelled'].includes(run.status)) throw closedProblem(run.status, 'cancelled');
      try {
        await app.temporal.workflow.getHandle(run.id).cancel();
      } catch (error) {
        // Temporal away is a 503 (the one error handler), not a conflict.
        if (unavailableDependency(error)) throw error;
        throw conflict(`The run could not be cancelled: ${(error as Error).message}`);
      }
      return reply.code(202).send({ runId: run.id, status: 'cancelling' });
    },
  );

  for (const [action, signal, from, to] of [
    ['pause', pauseSignal, ['pending', 'running'], 'paused'],
    ['resume', resumeSignal, ['paused'], 'running'],
  ] as const) {
    app.post(
      `/api/runs/:runId/${action}`,
      {
        schema: {
          operationId: `${action}Run`,
          summary: action === 'pause' ? 'Pause a run before its next step' : 'Resume a paused run',
          tags: ['runs'],
          params: RunParams,
          response: withProblems({ 202: answer(`The run was asked to ${action}`, RunSignalled) }, [404, 409]),
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const run = await loadRun(caller, request.params.runId);
        if (!(from as readonly string[]).includes(run.status))
          throw closedProblem(run.status, action === 'pause' ? 'paused' : 'resumed');
        try {
          await app.temporal.workflow.getHandle(run.id).signal(signal);
        } catch (error) {
          // Temporal away is a 503 (the one error handler), not a conflict.
          if (unavailableDependency(error)) throw error;
          throw conflict(`The run could not be ${action}d: ${(error as Error).message}`);
        }
        return reply.code(202).send({ runId: run.id, status: to });
      },
    );
  }

  app.post(
    '/api/runs/:runId/retry',
    {
      schema: {
        operationId: 'retryRun',
        summary: "Start a new run with a run's input and version, afresh or resuming a failed run at its failed step",
        tags: ['runs'],
        params: RunParams,
        body: RetryRequest,
        response: withProblems({ 202: answer('The new run', RetriedRun) }, [400, 404, 409, 503, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const run = await loadRun(caller, request.params.runId);
      if (request.body?.from === 'failed') return reply.code(202).send(await resumeFailedRun(app.runDeps, caller, run));
      const started = await startRun(app.runDeps, caller, {
        workflowId: run.workflowId,
        input: run.input,
        version: run.version,
        priority: run.priority,
        ...(run.clientId ? { clientId: run.clientId } : {}),
        retryOf: run.id,
      });
      return reply.code(202).send({ ...started, retryOf: run.id });
    },
  );

  app.get(
    '/api/runs/:runId/state',
    {
      schema: {
        operationId: 'getRunState',
        summary: 'Ask a run what it is doing now',
        tags: ['runs'],
        params: RunParams,
        response: withProblems({ 200: answer("The run's live state", RunState) }, [404, 409]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const run = await loadRun(caller, request.params.runId);
      if (['completed', 'failed', 'cancelled'].includes(run.status))
        return { status: run.status, activeNodes: [], pendingApprovals: [], progress: run.progress, finished: true };
      try {
        return await app.temporal.workflow.getHandle(run.id).query(stateQuery);
      } catch (error) {
        // Temporal away is a 503 (the one error handler), not a conflict.
        if (unavailableDependency(error)) throw error;
        throw conflict(`The run's live state could not be read: ${(error as Error).message}`);
      }
    },
  );

  app.get(
    '/api/runs/:runId/history',
    {
      schema: {
        operationId: 'getRunHistory',
        summary: "A run's events in order: steps, approvals, notifications",
        tags: ['runs'],
        params: RunParams,
        response: withProblems({ 200: answer("The run's history", RunHistory) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const run = await loadRun(caller, request.params.runId);
      const scope = ofRun(run.id, caller.tenantId);
      const [steps, approvals, notifications] = await Promise.all([
        db
          .select()
          .from(workflowExecutions)
          .where(scope(workflowExecutions))
          .orderBy(asc(workflowExecutions.startedAt), asc(workflowExecutions.seq)),
        db.select().from(workflowApprovals).where(scope(workflowApprovals)),
        db.select().from(workflowNotifications).where(scope(workflowNotifications)),
      ]);
      type Event = { at: string; type: string; nodeId?: string; detail: Record<string, unknown> };
      const events: Event[] = [];
      const at = (d: Date | null) => (d ? d.toISOString() : null);
      if (run.startedAt)
        events.push({
          at: run.startedAt.toISOString(),
          type: 'run.started',
          detail: {
            version: run.version,
            triggeredBy: run.triggeredBy,
            triggerSource: run.triggerSource,
            input: run.input,
          },
        });
      for (const s of steps) {
        events.push({
          at: s.startedAt.toISOString(),
          type: 'step.started',
          nodeId: s.nodeId,
          detail: { stepId: s.id, nodeType: s.nodeType, label: s.label, visit: s.visit },
        });
        if (s.completedAt)
          events.push({
            at: s.completedAt.toISOString(),
            type: s.status === 'failed' ? 'step.failed' : 'step.completed',
            nodeId: s.nodeId,
            detail: {
              stepId: s.id,
              handle: s.handle,
              output: s.output,
              error: s.error,
              durationMs: s.durationMs,
              attempt: s.attempt,
            },
          });
      }
      for (const a of approvals) {
        events.push({
          at: a.requestedAt.toISOString(),
          type: 'approval.requested',
          nodeId: a.nodeId,
          detail: {
            approvalId: a.id,
            approverRoles: a.approverRoles,
            approverUsers: a.approverUsers,
            quorum: a.quorum,
            expiresAt: at(a.expiresAt),
          },
        });
        // Who took the task and who handed their part on (the run's own history holds each Update).
        if (a.claimedAt)
          events.push({
            at: a.claimedAt.toISOString(),
            type: 'approval.claimed',
            nodeId: a.nodeId,
            detail: { approvalId: a.id, claimedBy: a.claimedBy },
          });
        for (const d of a.delegations as Array<{ from: string; to: string; at: string }>)
          events.push({
            at: d.at,
            type: 'approval.delegated',
            nodeId: a.nodeId,
            detail: { approvalId: a.id, from: d.from, to: d.to },
          });
        if (a.respondedAt)
          events.push({
            at: a.respondedAt.toISOString(),
            type: `approval.${a.status}`,
            nodeId: a.nodeId,
            detail: { approvalId: a.id, outcome: a.outcome, decidedBy: a.decidedBy, votes: a.votes },
          });
      }
      for (const n of notifications) {
        events.push({
          at: n.createdAt.toISOString(),
          type: 'notification.created',
          ...(n.nodeId ? { nodeId: n.nodeId } : {}),
          detail: { notificationId: n.id, channel: n.channel, recipients: n.recipients },
        });
        if (n.sentAt || n.status === 'failed')
          events.push({
            at: (n.sentAt ?? n.createdAt).toISOString(),
            type: `notification.${n.status}`,
            ...(n.nodeId ? { nodeId: n.nodeId } : {}),
            detail: { notificationId: n.id, error: n.error },
          });
      }
      for (const { at: movedAt, ...move } of run.migrations)
        events.push({ at: movedAt, type: 'run.migrated', detail: { ...move } });
      if (run.completedAt)
        events.push({
          at: run.completedAt.toISOString(),
          type: `run.${run.status}`,
          detail: { output: run.output, error: run.error },
        });
      // Stable order: by time, then by the order the events were listed above.
      const order = new Map(events.map((e, i) => [e, i]));
      events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : order.get(a)! - order.get(b)!));
      return { runId: run.id, events };
    },
  );

  app.get(
    '/api/runs/:runId',
    {
      schema: {
        operationId: 'getRun',
        summary: 'Read a run with its steps, approvals and notifications',
        tags: ['runs'],
        params: RunParams,
        response: withProblems({ 200: answer('The run', RunDetail) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { runId } = request.params;
      const row = (
        await db
          .select()
          .from(workflowInstances)
          .where(and(eq(workflowInstances.id, runId), eq(workflowInstances.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!row) throw notFound('Run', runId);
      const scoped = ofRun(runId, caller.tenantId);
      const [steps, approvals, notifications] = await Promise.all([
        db
          .select()
          .from(workflowExecutions)
          .where(scoped(workflowExecutions))
          .orderBy(asc(workflowExecutions.startedAt), asc(workflowExecutions.seq), asc(workflowExecutions.id)),
        db
          .select()
          .from(workflowApprovals)
          .where(scoped(workflowApprovals))
          .orderBy(asc(workflowApprovals.requestedAt)),
        db
          .select()
          .from(workflowNotifications)
          .where(scoped(workflowNotifications))
          .orderBy(asc(workflowNotifications.createdAt)),
      ]);
      // Values too large for Temporal's history were stored apart; show them whole.
      const view = (await expand(db, caller.tenantId, { ...runView(row), steps: steps.map(stepView) })) as ReturnType<
        typeof runView
      > & { steps: unknown[] };
      // A stored HTTP answer (kept for a retried activity) is the step's output already: not repeated here.
      return {
        ...view,
        approvals,
        notifications: notifications.map(({ result: _result, ...notification }) => notification),
      };
    },
  );
};
