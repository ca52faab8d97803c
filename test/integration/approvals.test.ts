/**
 * Approvals beyond the basics: approvers asked by email with signed links,
 * reminders, escalation, a decision racing the expiry, and a worker restart
 * while a run waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { approvalDefinition } from '../support/graphs';
import { type SlackApi, startSlackApi } from '../support/slack-api';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let slack: SlackApi;
let requester: { userId: string; key: string };

beforeAll(async () => {
  [smtp, slack] = await Promise.all([startSmtpSink(), startSlackApi()]);
  h = await createHarness({
    SMTP_URL: smtp.url,
    PUBLIC_URL: 'http://127.0.0.1:3999',
    SLACK_TOKEN: 'xoxb-approvals',
    SLACK_API_URL: slack.url,
  });
  requester = await h.newUser(h.tenant, ['operator']);
});
afterAll(async () => {
  await h?.close();
  await Promise.all([smtp?.close(), slack?.close()]);
});

async function userWithEmail(roles: string[]) {
  const user = await h.newUser(h.tenant, roles);
  const email = (await h.database.db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, user.userId) }))!.email;
  return { ...user, email };
}

async function publishAndStart(name: string, settings: Record<string, unknown>) {
  const definition = approvalDefinition({
    label: 'Decide',
    approverRoles: ['manager'],
    expiresIn: '1h',
    message: 'Please decide {{ input.what }}',
    ...settings,
  });
  const id = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id;
  expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
    201,
  );
  const runId = (
    await h.api(requester.key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: { what: name } } })
  ).json().runId as string;
  const approval = await eventually(
    async () =>
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
  );
  return { runId, approvalId: approval.id as string };
}

/** The body with quoted-printable soft line breaks joined. */
const unfold = (raw: string) => raw.replace(/=\r?\n/g, '');
const linkIn = (raw: string) => /\/approve\/([A-Za-z0-9_.-]+)/.exec(unfold(raw))?.[1];
const outcomeOf = async (runId: string) =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();

describe('approval links', () => {
  it('each approver gets a signed link; GET decides nothing, POST decides once, a second POST is refused', async () => {
    const manager = await userWithEmail(['manager']);
    const { runId, approvalId } = await publishAndStart('Link flow', {});
    const mail = await eventually(async () =>
      smtp.messages.find((m) => m.to.includes(manager.email) && m.raw.includes('Link flow')),
    );
    expect(
      smtp.messages.some((m) => m.raw.includes('Link flow') && m.to.includes(`${requester.userId}@example.com`)),
    ).toBe(false);
    const token = linkIn(mail.raw)!;
    expect(unfold(mail.raw)).toContain('http://127.0.0.1:3999/approve/');

    const shown = await h.app.inject({ method: 'GET', url: `/approve/${token}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['content-type']).toContain('text/html');
    expect(shown.body).toContain('Please decide Link flow');
    expect(shown.body).toContain('value="approved"');
    // Opening the link (as a mail scanner would) changed nothing.
    await h.app.inject({ method: 'GET', url: `/approve/${token}` });
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals/${approvalId}` })).json(),
    ).toMatchObject({ status: 'pending', votes: [] });

    const tampered = await h.app.inject({ method: 'GET', url: `/approve/${token.slice(0, -2)}xx` });
    expect(tampered.statusCode).toBe(404);

    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const first = await h.app.inject({
      method: 'POST',
      url: `/approve/${token}`,
      headers: form,
      payload: 'decision=approved&comment=fine',
    });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Recorded: approved');
    const second = await h.app.inject({
      method: 'POST',
      url: `/approve/${token}`,
      headers: form,
      payload: 'decision=rejected',
    });
    expect(second.statusCode).toBe(409);
    await settled(h, runId);
    const run = await outcomeOf(runId);
    expect(run.output).toEqual({ outcome: 'approved' });
    expect(run.approvals[0]).toMatchObject({
      status: 'approved',
      decidedBy: manager.userId,
      notificationsSent: expect.any(Number),
    });
    expect(run.approvals[0].notificationsSent).toBeGreaterThan(0);
  });
});

describe('approval messages in Slack', () => {
  it("carry a button per outcome for each approver, leading to that approver's link page", async () => {
    const manager = await userWithEmail(['manager']);
    const { runId } = await publishAndStart('Slack buttons', {
      notify: { channels: ['slack'], slackChannel: '#approvals' },
    });
    const post = await eventually(async () =>
      slack.posts.find((p) => p.channel === '#approvals' && p.text.includes('Slack buttons')),
    );
    const buttons = (
      post.blocks as Array<{ type: string; elements?: Array<{ url: string; text: { text: string } }> }>
    ).flatMap((b) => b.elements ?? []);
    const mine = buttons.filter((b) => b.text.text.includes(manager.email));
    expect(mine.map((b) => b.text.text)).toEqual([`approved (${manager.email})`, `rejected (${manager.email})`]);
    const url = new URL(mine.find((b) => b.url.includes('decision=rejected'))!.url);
    const shown = await h.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toMatch(/<button name="decision" value="rejected" autofocus>/);
    const decided = await h.app.inject({
      method: 'POST',
      url: url.pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'decision=rejected',
    });
    expect(decided.body).toContain('Recorded: rejected');
    await settled(h, runId);
    expect((await outcomeOf(runId)).output).toEqual({ outcome: 'rejected' });
  });
});

describe('reminders and escalation', () => {
  it('reminds only those who have not voted', async () => {
    const [m1, m2] = [await userWithEmail(['manager']), await userWithEmail(['manager'])];
    const { runId, approvalId } = await publishAndStart('Reminding', { quorum: 2, reminderEvery: '1s' });
    await h.api(m1.key, {
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      payload: { decision: 'approve' },
    });
    const reminder = await eventually(async () =>
      smtp.messages.find(
        (m) => m.subject?.startsWith('Reminder') && m.raw.includes('Reminding') && m.to.includes(m2.email),
      ),
    );
    expect(reminder).toBeDefined();
    expect(
      smtp.messages.some(
        (m) => m.subject?.startsWith('Reminder') && m.raw.includes('Reminding') && m.to.includes(m1.email),
      ),
    ).toBe(false);
    await h.api(m2.key, {
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      payload: { decision: 'approve' },
    });
    await settled(h, runId);
    expect((await outcomeOf(runId)).output).toEqual({ outcome: 'approved' });
  });

  it('escalates after its delay: the escalation roles are told by email, and can then decide', async () => {
    const ciso = await userWithEmail(['ciso']);
    const { runId, approvalId } = await publishAndStart('Escalating', {
      escalation: { after: '3s', toRoles: ['ciso'] },
    });
    // Before the escalation the CISO is not an approver.
    const early = await h.api(ciso.key, {
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      payload: { decision: 'approve' },
    });
    expect(early.statusCode).toBe(403);
    const mail = await eventually(async () =>
      smtp.messages.find((m) => m.subject?.startsWith('Escalated') && m.to.includes(ciso.email)),
    );
    expect(linkIn(mail.raw)).toBeDefined();
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals/${approvalId}` })).json().approverRoles,
    ).toEqual(['manager', 'ciso']);
    const decided = await h.api(ciso.key, {
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      payload: { decision: 'approve' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    await settled(h, runId);
    expect((await outcomeOf(runId)).output).toEqual({ outcome: 'approved' });
  });
});

describe('durability and races', () => {
  it('a decision racing the expiry timer yields exactly one outcome, recorded once', async () => {
    const manager = await userWithEmail(['manager']);
    for (let i = 0; i < 3; i++) {
      const { runId, approvalId } = await publishAndStart(`Race ${i}`, { expiresIn: '1s' });
      // Aim at the moment of expiry.
      await new Promise((r) => setTimeout(r, 900 + i * 100));
      const answer = await h.api(manager.key, {
        method: 'POST',
        url: `/api/approvals/${approvalId}/decision`,
        payload: { decision: 'approve' },
      });
      await settled(h, runId);
      const run = await outcomeOf(runId);
      expect(run.approvals).toHaveLength(1);
      if (answer.statusCode === 200) {
        expect(run.output).toEqual({ outcome: 'approved' });
        expect(run.approvals[0]).toMatchObject({ status: 'approved' });
        expect(run.approvals[0].votes).toHaveLength(1);
      } else {
        expect(answer.statusCode).toBe(409);
        expect(run.output).toEqual({ outcome: 'expired' });
        expect(run.approvals[0]).toMatchObject({ status: 'expired', votes: [] });
      }
    }
  });

  it('the worker stopped while a run waits, started again, then the decision made: the run continues', async () => {
    const manager = await userWithEmail(['manager']);
    const { runId, approvalId } = await publishAndStart('Survives restarts', {});
    await h.restartWorker();
    const decided = await h.api(manager.key, {
      method: 'POST',
      url: `/api/approvals/${approvalId}/decision`,
      payload: { decision: 'reject' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    await settled(h, runId);
    expect((await outcomeOf(runId)).output).toEqual({ outcome: 'rejected' });
  });
});
