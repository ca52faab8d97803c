/**
 * The approval inbox and decisions. A decision is a Temporal Update with a
 * validator: the API checks tenant and roles first, then the workflow checks
 * again against the approval's own state, so a decision is recorded once.
 */
import { randomUUID } from 'node:crypto';
import { and, arrayContains, arrayOverlaps, desc, eq, or, type SQL, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  APPROVAL_STATUS_PATTERN,
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
  users,
  workflows,
} from '../../db/schema';
import { normalizeDecision } from '../../interpreter/approval-rules';
import { checkFormData } from '../../interpreter/forms';
import type { ApprovalView } from '../../workflows/messages';
import { callerOf, type Caller } from '../auth';
import { badRequest, forbidden, notFound } from '../errors';
import { notifyApprovalChange } from '../../db/run-events';
import { actOnTask, decide, mayDecide } from '../services/approvals';
import { formOf, formView } from '../../db/approval-forms';
import { idempotencyKeyOf, once } from '../idempotency';
import { afterCursor, page, PageQuery } from '../pagination';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, withProblems } from '../schemas/problem';
import { Approval, ApprovalDetail, pageOf } from '../schemas/resources';

type ApprovalRow = typeof workflowApprovals.$inferSelect;

function approvalView(row: ApprovalRow & { createdAt?: Date }, now = new Date()) {
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
    form: formView(row.form),
    dueAt: row.dueAt?.toISOString() ?? null,
    overdue: row.status === 'pending' && row.dueAt !== null && row.dueAt <= now,
    claimedBy: row.claimedBy,
    claimedAt: row.claimedAt?.toISOString() ?? null,
    delegations: row.delegations as Array<{ from: string; to: string; toEmail: string; at: string }>,
  };
}

/** The claim and delegations the run answered, written to the approval's row (the inbox and the history read them). */
const taskColumns = (view: ApprovalView) => ({
  claimedBy: view.claim?.userId ?? null,
  claimedAt: view.claim ? new Date(view.claim.at) : null,
  delegations: view.delegations ?? [],
  delegates: (view.delegations ?? []).map((d) => d.to),
});

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
            sort: z
              .enum(['requested', 'due'])
              .optional()
              .meta({ description: '`due`: overdue tasks first, then by due date, then the newest (one page only)' }),
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
        const mine = [
          arrayOverlaps(workflowApprovals.approverUsers, [caller.userId, caller.email]),
          arrayContains(workflowApprovals.delegates, [caller.userId]),
        ];
        if (caller.roles.length) mine.push(arrayOverlaps(workflowApprovals.approverRoles, caller.roles));
        where.push(or(...mine)!);
        // Those who handed their part on no longer see the task as theirs.
        where.push(sql`not (${workflowApprovals.delegations} @> ${JSON.stringify([{ from: caller.userId }])}::jsonb)`);
      }
      const byDue = q.sort === 'due';
      const after = byDue ? undefined : afterCursor(workflowApprovals.requestedAt, workflowApprovals.id, q.cursor);
      if (after) where.push(after);
      const order = byDue
        ? [
            // Without a due date the test is null, which PostgreSQL would list first in descending order.
            sql`coalesce(${workflowApprovals.status} = 'pending' and ${workflowApprovals.dueAt} <= now(), false) desc`,
            sql`${workflowApprovals.dueAt} asc nulls last`,
          ]
        : [];
      const rows = await db
        .select()
        .from(workflowApprovals)
        .where(and(...where))
        .orderBy(...order, desc(workflowApprovals.requestedAt), desc(workflowApprovals.id))
        .limit(byDue ? q.limit : q.limit + 1);
      const result = page(
        rows.map((r) => ({ ...r, createdAt: r.requestedAt })),
        q.limit,
      );
      const now = new Date();
      return { items: result.items.map((r) => approvalView(r, now)), nextCursor: result.nextCursor };
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
          .object({
            decision: z.string().trim().min(1).max(100),
            comment: z.string().max(5000).optional(),
            data: z.record(z.string(), z.unknown()).optional().meta({
              description: "The form's fields, checked against the approval's form (400 listing each problem)",
            }),
          })
          .strict()
          .meta({ examples: [{ decision: 'approved', comment: 'Within budget.', data: { amount: 1200 } }] }),
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
      const { decision, data } = request.body;
      // Checked here so the answer lists every problem at once; the workflow's validator checks again.
      const problems = checkFormData(formOf(approval), data, normalizeDecision(decision), 'body.data');
      if (problems.length) throw badRequest("The decision's data does not fit the approval's form.", problems);
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
          data,
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

  /** The approval's row for a task action, with the caller's right to act on it checked. */
  const actionable = async (caller: Caller, id: string) => {
    const approval = (
      await db
        .select()
        .from(workflowApprovals)
        .where(and(eq(workflowApprovals.id, id), eq(workflowApprovals.tenantId, caller.tenantId)))
        .limit(1)
    )[0];
    if (!approval) throw notFound('Approval', id);
    if (!mayDecide(caller, approval))
      throw forbidden("You are not one of this approval's approvers (by role, by name or by delegation).");
    return approval;
  };

  /** Writes what the run answered to the row, and tells the live views. */
  const recordTask = async (approval: ApprovalRow, view: ApprovalView) => {
    const [row] = await db
      .update(workflowApprovals)
      .set(taskColumns(view))
      .where(and(eq(workflowApprovals.id, approval.id), eq(workflowApprovals.tenantId, approval.tenantId)))
      .returning();
    await notifyApprovalChange(db, approval.tenantId, approval.id);
    return approvalView(row ?? approval);
  };

  app.post(
    '/api/approvals/:id/claim',
    {
      schema: {
        operationId: 'claimApproval',
        summary: 'Take an approval as one of its approvers: others see it as claimed (and may still decide)',
        tags: ['approvals'],
        params: z.object({ id: z.uuid() }),
        response: withProblems({ 200: answer('The approval, claimed by the caller', Approval) }, [404, 409]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const approval = await actionable(caller, request.params.id);
      // A new Update id each time: a fixed one would have Temporal answer a later claim (after the task was handed on
      // and back) with the first one's result.
      const view = await actOnTask(app.temporal, approval, 'claim', caller, `${approval.id}:claim:${randomUUID()}`);
      return recordTask(approval, view);
    },
  );

  app.post(
    '/api/approvals/:id/delegate',
    {
      schema: {
        operationId: 'delegateApproval',
        summary: "Hand the caller's part of an approval to another user of the tenant, who then votes in its stead",
        tags: ['approvals'],
        params: z.object({ id: z.uuid() }),
        body: z
          .object({ userId: z.uuid() })
          .strict()
          .meta({ examples: [{ userId: '6f1c2b1e-8a4d-4c47-9f57-2d0f3f8a9b10' }] }),
        response: withProblems({ 200: answer('The approval with the delegation', Approval) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const approval = await actionable(caller, request.params.id);
      // Only a user of the caller's own tenant: any other is as unknown as one that does not exist.
      const to = (
        await db
          .select({ userId: users.id, email: users.email, roles: users.roles, deactivatedAt: users.deactivatedAt })
          .from(users)
          .where(and(eq(users.id, request.body.userId), eq(users.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!to || to.deactivatedAt) throw notFound('User', request.body.userId);
      const view = await actOnTask(
        app.temporal,
        approval,
        'delegate',
        caller,
        `${approval.id}:delegate:${randomUUID()}`,
        to,
      );
      return recordTask(approval, view);
    },
  );
};
