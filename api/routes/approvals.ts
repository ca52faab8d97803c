/**
 * The approval inbox and decisions. A decision is a Temporal Update with a
 * validator: the API checks tenant and roles first, then the workflow checks
 * again against the approval's own state, so a decision is recorded once.
 */
import { randomUUID } from 'node:crypto';
import { and, arrayOverlaps, desc, eq, or, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  APPROVAL_STATUS_PATTERN,
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
  workflows,
} from '../../db/schema';
import { callerOf, type Caller } from '../auth';
import { forbidden, notFound } from '../errors';
import { decide, mayDecide } from '../services/approvals';
import { idempotencyKeyOf, once } from '../idempotency';
import { afterCursor, page, PageQuery } from '../pagination';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { Approval, ApprovalDetail, pageOf } from '../schemas/resources';

type ApprovalRow = typeof workflowApprovals.$inferSelect;

function approvalView(row: ApprovalRow & { createdAt?: Date }) {
  return {
    id: row.id,
    runId: row.instanceId,
    nodeId: row.nodeId,
    status: row.status,
    outcome: row.outcome,
    approverRoles: row.approverRoles,
    approverUsers: row.approverUsers,
    quorum: row.quorum,
    outcomes: row.outcomes,
    message: row.message,
    requestedAt: row.requestedAt.toISOString(),
    respondedAt: row.respondedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    decidedBy: row.decidedBy,
    rejectionReason: row.rejectionReason,
    votes: row.votes,
  };
}

export const approvalRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/approvals',
    {
      schema: {
        operationId: 'listApprovals',
        summary: 'List approvals, newest first (`mine=true`: those the caller may decide)',
        tags: ['approvals'],
        response: withProblems({ 200: answer('A page of approvals', pageOf(Approval, 'ApprovalPage')) }),
        querystring: z
          .object({
            status: z
              .string()
              .regex(
                new RegExp(APPROVAL_STATUS_PATTERN),
                'a status is pending, expired, cancelled or an outcome (lower_snake_case)',
              )
              .max(100)
              .optional(),
            mine: z.enum(['true', 'false']).optional(),
            runId: z.string().max(300).optional(),
            ...PageQuery,
          })
          .strict(),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const where: SQL[] = [eq(workflowApprovals.tenantId, caller.tenantId)];
      if (q.status) where.push(eq(workflowApprovals.status, q.status));
      if (q.runId) where.push(eq(workflowApprovals.instanceId, q.runId));
      if (q.mine === 'true') {
        const mine = [arrayOverlaps(workflowApprovals.approverUsers, [caller.userId, caller.email])];
        if (caller.roles.length) mine.push(arrayOverlaps(workflowApprovals.approverRoles, caller.roles));
        where.push(or(...mine)!);
      }
      const after = afterCursor(workflowApprovals.requestedAt, workflowApprovals.id, q.cursor);
      if (after) where.push(after);
      const rows = await db
        .select()
        .from(workflowApprovals)
        .where(and(...where))
        .orderBy(desc(workflowApprovals.requestedAt), desc(workflowApprovals.id))
        .limit(q.limit + 1);
      const result = page(
        rows.map((r) => ({ ...r, createdAt: r.requestedAt })),
        q.limit,
      );
      return { items: result.items.map(approvalView), nextCursor: result.nextCursor };
    },
  );

  const load = async (caller: Caller, id: string) => {
    const row = (
      await db
        .select({
          approval: workflowApprovals,
          run: workflowInstances,
          workflowName: workflows.name,
          label: workflowExecutions.label,
        })
        .from(workflowApprovals)
        .innerJoin(workflowInstances, eq(workflowInstances.id, workflowApprovals.instanceId))
        .innerJoin(workflows, eq(workflows.id, workflowInstances.workflowId))
        .leftJoin(workflowExecutions, eq(workflowExecutions.id, workflowApprovals.executionId))
        .where(and(eq(workflowApprovals.id, id), eq(workflowApprovals.tenantId, caller.tenantId)))
        .limit(1)
    )[0];
    if (!row) throw notFound('Approval', id);
    return row;
  };

  app.get(
    '/api/approvals/:id',
    {
      schema: {
        operationId: 'getApproval',
        summary: 'Read an approval with its run',
        tags: ['approvals'],
        params: z.object({ id: z.uuid() }),
        response: withProblems({ 200: answer('The approval', ApprovalDetail) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const row = await load(caller, request.params.id);
      return {
        ...approvalView(row.approval),
        label: row.label,
        run: {
          id: row.run.id,
          workflowId: row.run.workflowId,
          workflowName: row.workflowName,
          version: row.run.version,
          status: row.run.status,
          input: row.run.input,
          triggeredBy: row.run.triggeredBy,
        },
        canDecide: row.approval.status === 'pending' && mayDecide(caller, row.approval),
      };
    },
  );

  app.post(
    '/api/approvals/:id/decision',
    {
      schema: {
        operationId: 'decideApproval',
        summary: 'Vote on an approval as one of its approvers',
        tags: ['approvals'],
        params: z.object({ id: z.uuid() }),
        headers: IdempotencyHeaders,
        body: z
          .object({ decision: z.string().trim().min(1).max(100), comment: z.string().max(5000).optional() })
          .strict()
          .meta({ examples: [{ decision: 'approved', comment: 'Within budget.' }] }),
        response: withProblems(
          { 200: answer('The approval after the vote (still pending while a quorum waits)', Approval) },
          [404, 409, ...JSON_BODY],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // The approval's own row is all a decision needs (its run is its instance): one short look-up before the Update.
      const approval = (
        await db
          .select()
          .from(workflowApprovals)
          .where(and(eq(workflowApprovals.id, request.params.id), eq(workflowApprovals.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!approval) throw notFound('Approval', request.params.id);
      if (!mayDecide(caller, approval))
        throw forbidden("You are not one of this approval's approvers (by role or by name).");
      // The same Idempotency-Key answers the first result again, without a second Update.
      return once(db, caller, request, reply, async () => {
        // Checked here so the answer is quick; the workflow's validator checks again, and it is what counts.
        const view = await decide(
          app.temporal,
          approval,
          approval.instanceId,
          caller,
          request.body.decision,
          request.body.comment,
          `${approval.id}:${idempotencyKeyOf(request) ?? randomUUID()}`,
        );
        return {
          status: 200,
          body: {
            ...approvalView(approval),
            status: view.status,
            outcome: view.outcome,
            votes: view.votes,
            decidedBy: view.status === 'pending' ? null : caller.userId,
          },
        };
      });
    },
  );
};
