/**
 * Approval links from email and Slack. `GET /approve/:token` shows the request
 * and a confirm form and changes nothing (mail scanners and link previews open
 * links); `POST /approve/:token` records the decision the form sends, as the
 * approver the link was made for.
 */
import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { verifyApprovalLink } from '../../db/approval-links';
import { users, workflowApprovals, workflowInstances, workflows } from '../../db/schema';
import { HttpProblem, toProblem } from '../errors';
import { decide } from '../services/approvals';
import { formOf } from '../../db/approval-forms';
import { checkFormData, fromFormText } from '../../interpreter/forms';
import { formFields } from './approval-link-form';
import { DECISION_FAILURES } from '../../lib/failures';
import { stateQuery, type Vote } from '../../workflows/messages';
import { z } from 'zod';
import { Problem } from '../schemas/problem';

/**
 * An answer these pages give as HTML (a person reads it in a browser); the statuses a problem+json can answer too carry
 * both.
 */
const html = (description: string, problem = false) => ({
  description,
  content: {
    'text/html': { schema: z.string() },
    ...(problem ? { 'application/problem+json': { schema: Problem } } : {}),
  },
});
const asProblem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
const TokenParams = z.object({
  token: z.string().meta({ description: 'The signed token of an approval link, exactly as issued' }),
});

/** The forms the workflow accepts for the default outcomes, as its votes record them. */
const canonicalDecision = (decision: string) => ({ approve: 'approved', reject: 'rejected' })[decision] ?? decision;

const escape = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.5rem 1.2rem;margin:.3rem .5rem 0 0;border-radius:.4rem;border:1px solid #888;background:#f4f4f4;cursor:pointer}textarea{width:100%;font:inherit}.muted{color:#666}</style></head><body>${body}</body></html>`);
}

export const approvalLinkRoutes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const load = async (token: string) => {
    const claims = await verifyApprovalLink(db, token);
    if (!claims) return undefined;
    const row = (
      await db
        .select({ approval: workflowApprovals, run: workflowInstances, workflowName: workflows.name, user: users })
        .from(workflowApprovals)
        .innerJoin(workflowInstances, eq(workflowInstances.id, workflowApprovals.instanceId))
        .innerJoin(workflows, eq(workflows.id, workflowInstances.workflowId))
        .innerJoin(users, and(eq(users.id, claims.userId), eq(users.tenantId, claims.tenantId)))
        .where(
          and(
            eq(workflowApprovals.id, claims.approvalId),
            eq(workflowApprovals.tenantId, claims.tenantId),
            eq(workflowApprovals.instanceId, claims.runId),
          ),
        )
        .limit(1)
    )[0];
    return row;
  };
  /**
   * A second post never changes a vote; the answer names the vote that counts (a repeated click of the same button is
   * no conflict).
   */
  const voteStands = (reply: FastifyReply, workflowName: string, standing: string, posted: string) =>
    standing === canonicalDecision(posted)
      ? page(
          reply,
          200,
          'Already recorded',
          `<h1>${escape(workflowName)}</h1><p><strong>Already recorded: ${escape(standing)}.</strong> Nothing more to do.</p>`,
        )
      : page(
          reply,
          409,
          'Already answered',
          `<h1>${escape(workflowName)}</h1><p><strong>Not recorded: you already answered ${escape(standing)}.</strong> That vote stands.</p>`,
        );
  /**
   * The approver's vote on a still-open approval, as the run holds it (the table learns the votes when the approval
   * closes).
   */
  const liveVote = async (runId: string, approvalId: string, userId: string): Promise<string | undefined> => {
    try {
      const state = await app.temporal.workflow.getHandle(runId).query(stateQuery);
      return state.pendingApprovals.find((a) => a.approvalId === approvalId)?.votes.find((v) => v.userId === userId)
        ?.decision;
    } catch {
      return undefined;
    }
  };
  const gone = (reply: FastifyReply) =>
    page(
      reply,
      404,
      'Link not valid',
      '<h1>This link is not valid</h1><p>It may have been mistyped, or the request it belonged to no longer exists.</p>',
    );

  app.get<{ Params: { token: string }; Querystring: { decision?: string } }>(
    '/approve/:token',
    {
      schema: {
        operationId: 'showApprovalLink',
        summary: 'The page an approval link opens: the request and its buttons (changes nothing)',
        tags: ['approval links'],
        security: [],
        params: TokenParams,
        querystring: z.object({
          decision: z
            .string()
            .max(100)
            .optional()
            .meta({ description: 'The choice to offer first (a Slack button names it)' }),
        }),
        produces: ['text/html'],
        response: {
          200: html('The request and a form to decide, or that it is closed'),
          400: asProblem('A malformed request'),
          404: html('Not a link we issued, or its request is gone'),
          429: asProblem('Too many requests from this address'),
        },
      },
    },
    async (request, reply) => {
      const row = await load(request.params.token);
      if (!row) return gone(reply);
      const { approval, run, workflowName, user } = row;
      const votes = approval.votes as Array<{ userId: string }>;
      const header = `<h1>${escape(workflowName)}</h1><p>${escape(approval.message ?? `Approval requested at step "${approval.nodeId}".`)}</p><p class="muted">Run ${escape(run.id)} · for ${escape(user.email)}</p>`;
      if (approval.status !== 'pending')
        return page(
          reply,
          200,
          'Already closed',
          `${header}<p><strong>This request is closed (${escape(approval.status)}).</strong> Nothing more to do.</p>`,
        );
      if (votes.some((v) => v.userId === user.id))
        return page(
          reply,
          200,
          'Already answered',
          `${header}<p><strong>You have already answered this request.</strong></p>`,
        );
      // A button in Slack names the choice it stands for: offer that one first; the others stay at hand.
      const preferred = request.query.decision;
      const ordered = [...approval.outcomes].sort((a, b) => Number(b === preferred) - Number(a === preferred));
      // A form opens as a form: its fields are filled in before any button decides.
      const fields = formFields(formOf(approval), escape);
      const choices = ordered
        .map(
          (o) =>
            `<button name="decision" value="${escape(o)}"${o === preferred ? ' autofocus' : ''}>${escape(o.replace(/_/g, ' '))}</button>`,
        )
        .join('');
      return page(
        reply,
        200,
        `Decide: ${workflowName}`,
        `${header}<form method="post">${fields}<label>Comment (optional)<br><textarea name="comment" rows="3" maxlength="5000"></textarea></label><br>${choices}</form><p class="muted">Opening this page changes nothing; only the buttons decide.</p>`,
      );
    },
  );

  app.post<{ Params: { token: string }; Body: { decision?: string; comment?: string } }>(
    '/approve/:token',
    {
      schema: {
        operationId: 'decideByApprovalLink',
        summary: "The decision the approval page's form sends, as the approver the link was made for",
        tags: ['approval links'],
        security: [],
        params: TokenParams,
        consumes: ['application/x-www-form-urlencoded'],
        body: z
          .object({ decision: z.string().max(100).optional(), comment: z.string().max(5000).optional() })
          .loose()
          .nullish(),
        produces: ['text/html'],
        response: {
          200: html('Recorded, or the same vote recorded before'),
          400: html('No decision was sent, or the request is malformed', true),
          403: html("The link's user may no longer decide this approval"),
          404: html('Not a link we issued, or its request is gone'),
          409: html('Not recorded: an earlier vote stands, or the approval closed'),
          413: asProblem('The form is larger than 64 KiB'),
          415: asProblem('Not a form'),
          429: asProblem('Too many requests from this address'),
          503: html('The run could not be reached; retry'),
        },
      },
    },
    async (request, reply) => {
      const row = await load(request.params.token);
      if (!row) return gone(reply);
      const { approval, run, workflowName, user } = row;
      const decision = request.body?.decision;
      if (!decision)
        return page(
          reply,
          400,
          'No decision',
          '<h1>No decision was sent</h1><p>Use one of the buttons on the page.</p>',
        );
      const earlier = (approval.votes as Vote[]).find((v) => v.userId === user.id);
      if (earlier) return voteStands(reply, workflowName, earlier.decision, decision);
      const form = formOf(approval);
      const data = form ? fromFormText(form, request.body as Record<string, unknown>) : undefined;
      const problems = checkFormData(form, data, canonicalDecision(decision), 'data');
      if (problems.length)
        return page(
          reply,
          400,
          'Not recorded',
          `<h1>Not recorded</h1><p>The form is not complete:</p><ul>${problems
            .map((p) => `<li>${escape(p.path.replace(/^data\./, ''))}: ${escape(p.message)}</li>`)
            .join('')}</ul><p>Go back, correct the form and send it again.</p>`,
        );
      try {
        const view = await decide(
          app.temporal,
          approval,
          run.id,
          { userId: user.id, email: user.email, roles: user.roles },
          decision,
          request.body.comment || undefined,
          `${approval.id}:link:${user.id}`,
          data,
        );
        // The Update id is per approver, so a repeated post is answered with the first vote's result: say which vote
        // that was.
        const standing = view.votes.find((v) => v.userId === user.id)?.decision;
        if (standing && standing !== canonicalDecision(decision))
          return voteStands(reply, workflowName, standing, decision);
        const what =
          view.status === 'pending'
            ? 'Your vote is recorded; the request waits for more approvers.'
            : `The request is now ${escape(view.status)}.`;
        return page(
          reply,
          200,
          'Recorded',
          `<h1>${escape(workflowName)}</h1><p><strong>Recorded: ${escape(standing ?? decision)}.</strong> ${what}</p>`,
        );
      } catch (thrown) {
        const error = toProblem(thrown);
        // Voted already by another way (the API, or an older link): the run knows that vote.
        const standing =
          error instanceof HttpProblem && error.extra.reason === DECISION_FAILURES.alreadyVoted
            ? await liveVote(run.id, approval.id, user.id)
            : undefined;
        if (standing) return voteStands(reply, workflowName, standing, decision);
        if (error instanceof HttpProblem)
          return page(reply, error.status, 'Not recorded', `<h1>Not recorded</h1><p>${escape(error.message)}</p>`);
        throw error;
      }
    },
  );
};
