/**
 * Approvals as human tasks, through the API against a real run: form data checked and carried to later nodes (the
 * send-back example), claim, delegate, and due dates with their reminder and the inbox's order.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideUpdate } from '../../workflows/messages';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { recordHistory } from '../support/fixtures';
import { approvalDefinition } from '../support/graphs';
import { type SlackApi, startSlackApi } from '../support/slack-api';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let slack: SlackApi;
let requester: { userId: string; key: string };

beforeAll(async () => {
  [smtp, slack] = await Promise.all([startSmtpSink(), startSlackApi()]);
  h = await createHarness({ SMTP_URL: smtp.url, SLACK_TOKEN: 'xoxb-test-token', SLACK_API_URL: slack.url });
  requester = await h.newUser(h.tenant, ['operator']);
});
afterAll(async () => {
  await h?.close();
  await Promise.all([smtp?.close(), slack?.close()]);
});

type ApprovalItem = { id: string; nodeId: string; message: string | null; status: string; dueAt: string | null };

async function publish(name: string, definition: object): Promise<string> {
  const created = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}

async function start(workflowId: string, input: unknown = {}): Promise<string> {
  const res = await h.api(requester.key, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().runId;
}

/** The pending approval the run asks at `nodeId`, once it asks (a later visit once `seen` holds the earlier ids). */
const pending = (runId: string, nodeId: string, seen: string[] = []) =>
  eventually(async () =>
    (
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` })).json()
        .items as ApprovalItem[]
    ).find((a) => a.nodeId === nodeId && !seen.includes(a.id)),
  );

const decide = (key: string, id: string, payload: object) =>
  h.api(key, { method: 'POST', url: `/api/approvals/${id}/decision`, payload });

const taskForm = {
  properties: {
    amount: { type: 'number', minimum: 0 },
    reason: { type: 'string' },
    when: { type: 'date' },
  },
  required: ['amount', 'reason'],
};

describe('forms', () => {
  it('refuses decision data that does not fit the form, listing every problem, and records nothing', async () => {
    const wf = await publish(
      'form check',
      approvalDefinition({
        approverRoles: ['finance'],
        form: taskForm,
        dueIn: '1h',
        notify: { channels: ['slack'], slackChannel: '#forms' },
      }),
    );
    const finance = await h.newUser(h.tenant, ['finance']);
    const runId = await start(wf);
    const approval = await pending(runId, 'ask');
    // Slack links the approver to the form, not to a one-click choice.
    const post = await eventually(async () => slack.posts.find((p) => p.channel === '#forms'));
    const buttons = (post.blocks as Array<{ elements?: Array<{ text: { text: string }; url: string }> }>).flatMap(
      (block) => block.elements ?? [],
    );
    expect(buttons).toHaveLength(1);
    expect(buttons[0]?.text.text).toMatch(/^Fill in the form/);
    expect(buttons[0]?.url).toMatch(/\/approve\/[^?]+$/);
    const res = await decide(finance.key, approval.id, {
      decision: 'approved',
      data: { amount: 'lots', when: '2026-13-01', colour: 'red' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['body.data.amount', 'body.data.colour', 'body.data.reason', 'body.data.when'].sort());
    const state = await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/state` });
    expect(state.json().pendingApprovals[0].votes).toEqual([]);
    // Data on an approval without a form is refused the same way.
    const plain = await start(await publish('no form', approvalDefinition({ approverRoles: ['finance'] })));
    const noForm = await pending(plain, 'ask');
    const refused = await decide(finance.key, noForm.id, { decision: 'approved', data: { amount: 1 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([
      { path: 'body.data', message: 'this approval has no form: it takes no data' },
    ]);
    // The run itself checks again, should anything reach it past the API: every problem travels with the refusal.
    const bypass = h.temporal.workflow.getHandle(runId).executeUpdate(decideUpdate, {
      args: [
        {
          approvalId: approval.id,
          decision: 'approved',
          data: { amount: -1 },
          actor: { userId: finance.userId, email: 'f@example.com', roles: ['finance'] },
        },
      ],
    });
    const refusal = await bypass.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refusal as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('ApprovalBadData');
    expect(cause.details?.[0]).toEqual({
      problems: [
        { path: 'data.amount', message: 'must be at least 0' },
        { path: 'data.reason', message: 'is required (reason)' },
      ],
    });
    // A decision that fits is recorded with its data, as the node's output.
    const ok = await decide(finance.key, approval.id, { decision: 'approved', data: { amount: 12, reason: 'fine' } });
    expect(ok.statusCode, ok.body).toBe(200);
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    const step = run.steps.find((s: { nodeId: string }) => s.nodeId === 'ask');
    expect(step.output).toMatchObject({ outcome: 'approved', data: { amount: 12, reason: 'fine' } });
    expect(step.output.votes[0]).toMatchObject({ userId: finance.userId, data: { amount: 12, reason: 'fine' } });
    recordHistory('approval-form-decision', runId);
  });

  it("runs the send-back example: the resubmission's data reaches the reviewer", async () => {
    const { name, description, category, tags, ...definition } = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../examples/expense-resubmission.json'), 'utf8'),
    );
    const created = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name, description, category, tags, definition },
    });
    const wf = created.json().id;
    expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${wf}/publish` })).statusCode).toBe(
      201,
    );
    const runId = await start(wf, { title: 'Taxi', amount: 120, justification: 'late train' });
    const finance = await h.newUser(h.tenant, ['finance']);

    const first = await pending(runId, 'review');
    expect(first.message).toBe("Expense 'Taxi': 120 EUR. Justification: late train");
    expect(first.dueAt).not.toBeNull();
    expect(
      (await decide(finance.key, first.id, { decision: 'changes_requested', comment: 'use the bus' })).statusCode,
    ).toBe(200);

    const resubmit = await pending(runId, 'resubmit');
    expect(resubmit.message).toBe('Finance asks for changes: use the bus');
    // The requester fills in the form; one click without it is refused.
    expect((await decide(requester.key, resubmit.id, { decision: 'resubmitted' })).statusCode).toBe(400);
    const revised = { amount: 9.5, justification: 'bus ticket' };
    expect((await decide(requester.key, resubmit.id, { decision: 'resubmitted', data: revised })).statusCode).toBe(200);

    const second = await pending(runId, 'review', [first.id]);
    expect(second.message).toBe("Expense 'Taxi': 9.5 EUR. Justification: bus ticket");
    const approved = await decide(finance.key, second.id, { decision: 'approved', data: { costCentre: 'sales' } });
    expect(approved.statusCode, approved.body).toBe(200);
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run).toMatchObject({
      status: 'completed',
      output: { approved: true, amount: 9.5, justification: 'bus ticket', costCentre: 'sales' },
    });
  });
});

describe('claim and delegate', () => {
  it('one approver claims the task; another is told who has it; the history records it', async () => {
    const wf = await publish('claim', approvalDefinition({ approverRoles: ['desk'] }));
    const runId = await start(wf);
    const approval = await pending(runId, 'ask');
    const [ana, ben, outsider] = await Promise.all([
      h.newUser(h.tenant, ['desk']),
      h.newUser(h.tenant, ['desk']),
      h.newUser(h.tenant, ['viewer']),
    ]);
    const claim = (key: string) => h.api(key, { method: 'POST', url: `/api/approvals/${approval.id}/claim` });
    const claimed = await claim(ana.key);
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(claimed.json()).toMatchObject({ claimedBy: ana.userId });
    expect((await claim(ana.key)).statusCode).toBe(200);
    const taken = await claim(ben.key);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().detail).toMatch(/already claimed/);
    expect((await claim(outsider.key)).statusCode).toBe(403);
    const history = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/history` })).json();
    expect(history.events).toContainEqual(
      expect.objectContaining({ type: 'approval.claimed', detail: { approvalId: approval.id, claimedBy: ana.userId } }),
    );
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it("a delegate decides with the delegator's vote; never the requester, never another tenant's user", async () => {
    const wf = await publish('delegate', approvalDefinition({ approverRoles: ['desk'] }));
    const runId = await start(wf);
    const approval = await pending(runId, 'ask');
    const [ana, cal] = await Promise.all([h.newUser(h.tenant, ['desk']), h.newUser(h.tenant, [])]);
    const other = await h.newTenant();
    const stranger = await h.newUser(other, ['desk']);
    const delegateTo = (key: string, userId: string) =>
      h.api(key, { method: 'POST', url: `/api/approvals/${approval.id}/delegate`, payload: { userId } });

    const elsewhere = await delegateTo(ana.key, stranger.userId);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.body).not.toContain(other.tenantId);
    const toRequester = await delegateTo(ana.key, requester.userId);
    expect(toRequester.statusCode).toBe(403);
    expect(toRequester.json().detail).toMatch(/requester/);
    expect((await delegateTo(ana.key, 'not-a-uuid')).statusCode).toBe(400);

    const handed = await delegateTo(ana.key, cal.userId);
    expect(handed.statusCode, handed.body).toBe(200);
    expect(handed.json().delegations).toEqual([expect.objectContaining({ from: ana.userId, to: cal.userId })]);
    // The delegate sees it in the inbox; the delegator no longer does, and may no longer decide.
    const inbox = (key: string) =>
      h
        .api(key, { method: 'GET', url: '/api/approvals?mine=true&status=pending' })
        .then((r) => r.json().items.map((a: { id: string }) => a.id));
    expect(await inbox(cal.key)).toContain(approval.id);
    expect(await inbox(ana.key)).not.toContain(approval.id);
    expect((await decide(ana.key, approval.id, { decision: 'approved' })).statusCode).toBe(403);

    const voted = await decide(cal.key, approval.id, { decision: 'approved' });
    expect(voted.statusCode, voted.body).toBe(200);
    expect(voted.json().votes).toEqual([expect.objectContaining({ userId: cal.userId, onBehalfOf: ana.userId })]);
    await settled(h, runId);
    const history = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/history` })).json();
    expect(history.events).toContainEqual(
      expect.objectContaining({
        type: 'approval.delegated',
        detail: { approvalId: approval.id, from: ana.userId, to: cal.userId },
      }),
    );
  });
});

describe('due dates', () => {
  it('gives dueAt from dueIn, reminds before it, and lists overdue tasks first', async () => {
    const desk = await h.newUser(h.tenant, ['due_desk']);
    const soon = await start(
      await publish('due soon', approvalDefinition({ approverRoles: ['due_desk'], dueIn: '2s' })),
    );
    const soonApproval = await pending(soon, 'ask');
    const later = await start(await publish('no due', approvalDefinition({ approverRoles: ['due_desk'] })));
    const laterApproval = await pending(later, 'ask');
    // Due two seconds after the run asked (the workflow's clock; the row's requestedAt is the database's).
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${soon}` })).json();
    const asked = run.steps.find((s: { nodeId: string }) => s.nodeId === 'ask').startedAt;
    const row = (await h.api(desk.key, { method: 'GET', url: `/api/approvals/${soonApproval.id}` })).json();
    expect(Date.parse(row.dueAt) - Date.parse(asked)).toBe(2000);
    // A quarter of the time given before it falls due, the approvers are told.
    await eventually(async () => smtp.messages.find((m) => m.subject?.startsWith('Due soon:')));
    const list = async () => {
      const res = await h.api(desk.key, { method: 'GET', url: '/api/approvals?mine=true&status=pending&sort=due' });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as Array<ApprovalItem & { overdue: boolean }>;
    };
    const items = await eventually(async () => {
      const page = await list();
      return page.find((a) => a.overdue) ? page : undefined;
    }, 250);
    expect(items.map((a) => a.id)).toEqual([soonApproval.id, laterApproval.id]);
    await Promise.all(
      [soon, later].map((runId) => h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` })),
    );
  });
});
