/**
 * The shared examples, published and run through the API to their documented
 * ends, approvals decided through the API, against real servers: Temporal,
 * PostgreSQL, an SMTP server, a Slack-speaking server and an HTTP target, all
 * on loopback.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { recordHistory } from '../support/fixtures';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { type SlackApi, startSlackApi } from '../support/slack-api';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let slack: SlackApi;
let target: HttpTarget;
let requester: { userId: string; key: string };

beforeAll(async () => {
  [smtp, slack, target] = await Promise.all([startSmtpSink(), startSlackApi(), startHttpTarget()]);
  h = await createHarness({ SMTP_URL: smtp.url, SLACK_TOKEN: 'xoxb-test-token', SLACK_API_URL: slack.url });
  requester = await h.newUser(h.tenant, ['operator']);
});
afterAll(async () => {
  await h?.close();
  await Promise.all([smtp?.close(), slack?.close(), target?.close()]);
});

const example = (name: string) =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../../examples', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;

async function publishExample(name: string): Promise<string> {
  const { name: title, description, category, tags, ...definition } = example(name);
  const created = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name: title, description, category, tags, definition },
  });
  expect(created.statusCode, created.body).toBe(201);
  const published = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: `/api/workflows/${created.json().id}/publish`,
  });
  expect(published.statusCode, published.body).toBe(201);
  return created.json().id;
}

async function start(workflowId: string, input: unknown): Promise<string> {
  const res = await h.api(requester.key, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().runId;
}

/** Waits for the run to ask `nodeId` for a decision, and decides it as a user with `role`. */
async function decide(runId: string, nodeId: string, role: string, decision: string) {
  const approval = await eventually(async () =>
    (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` }))
      .json()
      .items.find((a: { nodeId: string }) => a.nodeId === nodeId),
  );
  const user = await h.newUser(h.tenant, [role]);
  const res = await h.api(user.key, {
    method: 'POST',
    url: `/api/approvals/${approval.id}/decision`,
    payload: { decision, comment: `${decision} (${role})` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function finished(runId: string, fixture?: string) {
  await settled(h, runId);
  if (fixture) recordHistory(fixture, runId);
  return (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
}

describe('shared examples through the API', () => {
  it('purchase order: a small order approved by a manager is announced on Slack', async () => {
    const wf = await publishExample('purchase-order');
    const runId = await start(wf, { requester: 'pat@example.com', amount: 420, currency: 'EUR', item: 'a chair' });
    await decide(runId, 'manager', 'manager', 'approve');
    const run = await finished(runId, 'example-purchase-order-small');
    expect(run).toMatchObject({ status: 'completed', output: { approved: true } });
    expect(slack.posts.find((p) => p.text.includes('a chair'))).toMatchObject({
      channel: '#purchasing',
      text: 'Approved: a chair for 420 EUR (pat@example.com)',
      token: 'xoxb-test-token',
    });
    const announced = run.notifications.filter((n: { nodeId: string }) => n.nodeId === 'notify_ok');
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ channel: 'slack', status: 'sent' });
  });

  it('purchase order: a large order needs two finance approvals and the executive; a rejection emails the requester', async () => {
    const wf = await publishExample('purchase-order');
    const runId = await start(wf, { requester: 'pat@example.com', amount: 25_000, currency: 'EUR', item: 'a car' });
    expect((await decide(runId, 'finance', 'finance', 'approve')).status).toBe('pending');
    expect((await decide(runId, 'finance', 'finance', 'approve')).status).toBe('approved');
    await decide(runId, 'executive', 'executive', 'reject');
    const run = await finished(runId, 'example-purchase-order-large');
    expect(run).toMatchObject({ status: 'completed', output: { approved: false, why: 'rejected' } });
    const mail = smtp.messages.find((m) => m.subject === 'Order for a car not approved');
    expect(mail?.to).toEqual(['pat@example.com']);
    expect(mail?.raw).toContain('Outcome: rejected');
  });

  it('bug report triage: accepted, resolved, and the reporter told by email', async () => {
    const wf = await publishExample('bug-report-triage');
    const runId = await start(wf, {
      title: 'Crash on save',
      description: 'It crashes.',
      reporterEmail: 'rae@example.com',
    });
    await decide(runId, 'desk_review', 'service_desk', 'accepted');
    await decide(runId, 'work', 'developer', 'resolved');
    const run = await finished(runId, 'example-bug-report-triage');
    expect(run).toMatchObject({ status: 'completed', output: { outcome: 'resolved' } });
    expect(smtp.messages.find((m) => m.subject === "Bug 'Crash on save': resolved")?.to).toEqual(['rae@example.com']);
  });

  it('employee onboarding: three branches in parallel, the loop once per item, the welcome after the start date', async () => {
    const wf = await publishExample('employee-onboarding');
    const runId = await start(wf, {
      name: 'Ada',
      email: 'ada@example.com',
      startDate: new Date(Date.now() + 1500).toISOString(),
      equipment: ['laptop', 'badge', 'desk'],
      itServiceUrl: `${target.url}/it/accounts`,
      procurementUrl: `${target.url}/procurement`,
    });
    // All three branches are under way before HR decides: the accounts call and the orders happen while the approval
    // waits.
    await eventually(
      async () =>
        target.received.filter((r) => r.url === '/procurement').length === 3 &&
        target.received.some((r) => r.url === '/it/accounts'),
    );
    await decide(runId, 'paperwork', 'hr', 'done');
    const run = await finished(runId, 'example-employee-onboarding');
    expect(run.status, JSON.stringify(run.error)).toBe('completed');
    const orders = target.received
      .filter((r) => r.url === '/procurement')
      .map((r) => JSON.parse(r.body) as { item: string; for: string });
    expect(orders).toEqual([
      { item: 'laptop', for: 'Ada' },
      { item: 'badge', for: 'Ada' },
      { item: 'desk', for: 'Ada' },
    ]);
    const welcome = smtp.messages.find((m) => m.subject === 'Welcome, Ada');
    expect(welcome?.to).toEqual(['ada@example.com']);
    const steps = run.steps as Array<{ nodeId: string; startedAt: string; completedAt: string }>;
    const waited = steps.find((s) => s.nodeId === 'wait_start')!;
    expect(steps.find((s) => s.nodeId === 'welcome')!.startedAt >= waited.completedAt).toBe(true);
    expect(steps.filter((s) => s.nodeId === 'order_item')).toHaveLength(3);
  });

  it('vulnerability remediation: a critical finding is patched after approval and announced; a low one becomes a ticket', async () => {
    const wf = await publishExample('vulnerability-remediation');
    target.answer('/tickets', 201, { id: 'T-77' });
    const base = {
      asset: 'db-01',
      cve: 'CVE-2026-0001',
      patchServiceUrl: `${target.url}/patches`,
      ticketServiceUrl: `${target.url}/tickets`,
    };
    const critical = await start(wf, { ...base, asset_criticality: 'critical', cvss_score: 9.8 });
    await decide(critical, 'approve_patch', 'security_team', 'approve');
    expect((await finished(critical, 'example-vulnerability-remediation')).output).toEqual({ result: 'patched' });
    expect(slack.posts.find((p) => p.channel === '#security-alerts')?.text).toBe('Patched CVE-2026-0001 on db-01: 200');

    const low = await start(wf, { ...base, asset_criticality: 'low', cvss_score: 4 });
    expect((await finished(low)).output).toEqual({ result: 'ticket', ticket: { id: 'T-77' } });
  });
});

describe('messages are sent once per intent', () => {
  const notifyGraph = (channel: 'email' | 'slack', retry: object = {}) => ({
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      {
        id: 'tell',
        type: 'notification',
        data: {
          channel,
          recipients: [channel === 'email' ? 'ops@example.com' : '#ops'],
          subject: 'Hello {{ input.n }}',
          message: 'Message {{ input.n }}',
          retry: { initialInterval: '200ms', ...retry },
        },
      },
      { id: 'ok', type: 'end', data: { output: { sent: '{{ nodes.tell.output.status }}' } } },
      { id: 'bad', type: 'end', data: { output: { failed: '{{ nodes.tell.error.message }}' } } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'tell' },
      { id: 'e2', source: 'tell', target: 'ok' },
      { id: 'e3', source: 'tell', sourceHandle: 'error', target: 'bad' },
    ],
  });
  const publishGraph = async (name: string, definition: object) => {
    const id = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
    ).json().id;
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    return id;
  };

  it('an SMTP 421 then success delivers one message, with a Message-ID derived from the intent', async () => {
    const wf = await publishGraph('Mail once', notifyGraph('email'));
    smtp.refuseNext(1, 421);
    const runId = await start(wf, { n: 'four-two-one' });
    const run = await finished(runId);
    expect(run.output).toEqual({ sent: 'sent' });
    const mails = smtp.messages.filter((m) => m.subject === 'Hello four-two-one');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.messageId).toMatch(/^<[0-9a-f]{32}@graphflow>$/);
    expect(run.notifications[0]).toMatchObject({
      status: 'sent',
      retryCount: 1,
      channel: 'email',
      recipients: ['ops@example.com'],
    });
  });

  it('a permanent SMTP refusal leaves the notification failed with its error, and the run follows the error edge', async () => {
    const wf = await publishGraph('Mail refused', notifyGraph('email'));
    smtp.refuseNext(1, 550);
    const run = await finished(await start(wf, { n: 'five-five-oh' }));
    expect(run.output.failed).toContain('mailbox unavailable');
    expect(run.notifications[0]).toMatchObject({ status: 'failed' });
    expect(run.notifications[0].error).toContain('mailbox unavailable');
    expect(smtp.messages.filter((m) => m.subject === 'Hello five-five-oh')).toHaveLength(0);
  });

  it('a Slack 429 with Retry-After delivers one message, after the delay', async () => {
    const wf = await publishGraph('Slack once', notifyGraph('slack'));
    slack.rateLimitNext(1, 1);
    const before = Date.now();
    const run = await finished(await start(wf, { n: 'rate-limited' }));
    expect(run.output).toEqual({ sent: 'sent' });
    const posts = slack.posts.filter((p) => p.text === 'Message rate-limited');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.at - before).toBeGreaterThanOrEqual(1000);
  });

  it('a message to several Slack channels, rate limited on the second: the retry posts only what is left', async () => {
    const definition = notifyGraph('slack');
    (definition.nodes[1]!.data as { recipients: string[] }).recipients = ['#first', '#second', '#third'];
    const wf = await publishGraph('Slack to three', definition);
    slack.rateLimitNext(1, 1, 1);
    const run = await finished(await start(wf, { n: 'three-channels' }));
    expect(run.output).toEqual({ sent: 'sent' });
    const posts = slack.posts.filter((p) => p.text === 'Message three-channels');
    expect(posts.map((p) => p.channel)).toEqual(['#first', '#second', '#third']);
    expect(run.notifications[0]).toMatchObject({ status: 'sent', retryCount: 1 });
  });
});

describe('workflow-level notifications', () => {
  it('tell the configured people when an approval is requested, a node errs and the run fails, once each', async () => {
    target.answer('/broken', 500, { error: 'down' });
    const definition = {
      configuration: {
        notifications: [
          {
            on: ['approval_requested'],
            channel: 'slack',
            recipients: ['#approvals'],
            message: 'Approval needed in {{ run.workflowName }}: {{ approval.message }}',
          },
          {
            on: ['error', 'failed'],
            channel: 'email',
            recipients: ['ops@example.com'],
            subject: '{{ run.workflowName }}: {{ node.id }}{{ status }}',
            message: 'Problem: {{ error.message }}',
          },
        ],
      },
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'ask', type: 'approval', data: { approverRoles: ['manager'], message: 'Deploy {{ input.what }}?' } },
        {
          id: 'deploy',
          type: 'action',
          data: { action: 'http', method: 'POST', url: `${target.url}/broken`, retry: { maximumAttempts: 1 } },
        },
        { id: 'done', type: 'end', data: {} },
        { id: 'no', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'ask' },
        { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'deploy' },
        { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'no' },
        { id: 'e4', source: 'deploy', target: 'done' },
      ],
    };
    const created = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'Noisy deploy', definition },
    });
    expect(
      (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${created.json().id}/publish` }))
        .statusCode,
    ).toBe(201);
    const runId = await start(created.json().id, { what: 'v2' });
    await decide(runId, 'ask', 'manager', 'approve');
    const run = await finished(runId);
    expect(run.status).toBe('failed');
    expect(slack.posts.filter((p) => p.text === 'Approval needed in Noisy deploy: Deploy v2?')).toHaveLength(1);
    const mails = smtp.messages.filter((m) => m.subject?.startsWith('Noisy deploy'));
    expect(mails.map((m) => m.subject).sort()).toEqual(['Noisy deploy: deploy', 'Noisy deploy: failed']);
    expect(
      run.notifications.filter((n: { nodeId: string }) => n.nodeId.startsWith('configuration.notifications')),
    ).toHaveLength(3);
  });
});
