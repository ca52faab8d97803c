/**
 * Resuming a failed run at its failed step (`POST /api/runs/:id/retry` with `from: "failed"`), on the real servers:
 * what the failed run finished is not done again (counted at the loopback HTTP target and the SMTP sink), a decided
 * approval stays decided, and a run that did not fail is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { recordHistory } from '../support/fixtures';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let target: HttpTarget;
let smtp: SmtpSink;
let manager: { userId: string; key: string };

beforeAll(async () => {
  [target, smtp] = await Promise.all([startHttpTarget(), startSmtpSink()]);
  h = await createHarness({ SMTP_URL: smtp.url });
  manager = await h.newUser(h.tenant, ['manager']);
});
afterAll(async () => {
  await h?.close();
  await Promise.all([target?.close(), smtp?.close()]);
});

/** Six steps: an HTTP call, an email, an approval, an HTTP call (step 4, which fails), an email, an HTTP call. */
function sixSteps(url: string) {
  const once = { maximumAttempts: 1 };
  return {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      {
        id: 'one',
        type: 'action',
        data: { action: 'http', method: 'POST', url: `${url}/one`, body: { item: '{{ input.item }}' }, retry: once },
      },
      {
        id: 'two',
        type: 'integration',
        data: { provider: 'email', to: ['ops@example.com'], subject: 'step two', text: 'ordered', retry: once },
      },
      { id: 'three', type: 'approval', data: { label: 'Manager approves', approverRoles: ['manager'] } },
      {
        id: 'four',
        type: 'action',
        data: {
          action: 'http',
          method: 'POST',
          url: `${url}/four`,
          // Reads step 1's output and step 3's decision: the resumed run must see what the failed run saw.
          body: { order: '{{ nodes.one.output.body.order }}', approvedBy: '{{ nodes.three.output.decidedBy }}' },
          retry: once,
        },
      },
      {
        id: 'five',
        type: 'integration',
        data: { provider: 'email', to: ['ops@example.com'], subject: 'step five', text: 'shipped', retry: once },
      },
      { id: 'six', type: 'action', data: { action: 'http', method: 'POST', url: `${url}/six`, retry: once } },
      {
        id: 'end',
        type: 'end',
        data: { output: { order: '{{ nodes.one.output.body.order }}', shipped: '{{ nodes.four.output.body.ok }}' } },
      },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'one' },
      { id: 'e2', source: 'one', target: 'two' },
      { id: 'e3', source: 'two', target: 'three' },
      { id: 'e4', source: 'three', sourceHandle: 'approved', target: 'four' },
      { id: 'e5', source: 'four', target: 'five' },
      { id: 'e6', source: 'five', target: 'six' },
      { id: 'e7', source: 'six', target: 'end' },
    ],
  };
}

async function publish(name: string, definition: object): Promise<string> {
  const key = h.tenant.adminKey;
  const id = (await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name, definition } })).json().id;
  const published = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  return id as string;
}

const getRun = async (runId: string) =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
const retry = (runId: string, payload?: object, key = h.tenant.adminKey) =>
  h.api(key, { method: 'POST', url: `/api/runs/${runId}/retry`, ...(payload ? { payload } : {}) });
const sentTo = (path: string) => target.received.filter((r) => r.url === path).length;
const mailed = (subject: string) => smtp.messages.filter((m) => m.subject === subject).length;
const runCount = async () =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/runs?limit=100' })).json().items.length as number;

/** A run of `sixSteps` that failed at step 4 (its target answered 500) after its approval was decided. */
async function failedAtStepFour(): Promise<string> {
  target.answer('/one', 200, { order: 'A-17' });
  target.answer('/four', 500, { error: 'the warehouse is down' });
  const name = `Resume ${Math.random()}`;
  const workflowId = await publish(name, sixSteps(target.url));
  const started = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input: { item: 'a crate' } },
  });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().runId as string;
  const approval = await eventually(
    async () =>
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
  );
  // The approver's mail is sent beside the wait: counted before the decision, so none lands after the run failed.
  await eventually(async () => smtp.messages.some((m) => m.subject === `approval needed for ${name}`));
  const decided = await h.api(manager.key, {
    method: 'POST',
    url: `/api/approvals/${approval.id}/decision`,
    payload: { decision: 'approve', comment: 'go' },
  });
  expect(decided.statusCode, decided.body).toBe(200);
  await settled(h, runId);
  const failed = await getRun(runId);
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatchObject({ nodeId: 'four' });
  return runId;
}

describe('resume from the failed step', () => {
  it('resumes a run that failed at step 4 of 6: steps 1–3 are not sent again, 4–6 run, the run completes', async () => {
    const failedRun = await failedAtStepFour();
    expect([sentTo('/one'), mailed('step two'), sentTo('/four'), mailed('step five'), sentTo('/six')]).toEqual([
      1, 1, 1, 0, 0,
    ]);

    // The target is fixed.
    target.answer('/four', 200, { ok: true });
    const resumed = await retry(failedRun, { from: 'failed' });
    expect(resumed.statusCode, resumed.body).toBe(202);
    const answer = resumed.json();
    expect(answer).toMatchObject({ retryOf: failedRun, created: true, version: 1 });
    expect(answer.runId).not.toBe(failedRun);
    expect(answer.carriedOver.map((s: { nodeId: string }) => s.nodeId)).toEqual(['t', 'one', 'two', 'three']);
    expect(answer.carriedOver[1]).toEqual({ stepKey: 'one:1', nodeId: 'one', nodeType: 'action', visit: 1 });

    await settled(h, answer.runId);
    recordHistory('resumed-from-failed-step', answer.runId);
    const run = await getRun(answer.runId);
    expect(run.status, JSON.stringify(run.error)).toBe('completed');
    expect(run.output).toEqual({ order: 'A-17', shipped: true });
    expect(run.retryOf).toBe(failedRun);
    // Steps 1–3 were sent once, by the failed run; 4 was tried once more; 5 and 6 ran once.
    expect([sentTo('/one'), mailed('step two'), sentTo('/four'), mailed('step five'), sentTo('/six')]).toEqual([
      1, 1, 2, 1, 1,
    ]);
    // Step 4 saw step 1's output and step 3's decision, as the failed run had them.
    const fourth = target.received.filter((r) => r.url === '/four').at(-1)!;
    expect(JSON.parse(fourth.body)).toEqual({ order: 'A-17', approvedBy: manager.userId });
    // The resumed run lists the steps it did itself; the carried ones are the failed run's.
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['four', 'five', 'six', 'end']);
    expect(run.input).toEqual({ item: 'a crate' });
  });

  it('keeps an approval decided before the failure decided: no second request to approvers', async () => {
    const failedRun = await failedAtStepFour();
    const mailsBefore = smtp.messages.length;
    const requested = (
      await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${failedRun}` })
    ).json().items;
    expect(requested).toHaveLength(1);

    target.answer('/four', 200, { ok: true });
    const resumed = (await retry(failedRun, { from: 'failed' })).json();
    await settled(h, resumed.runId);
    expect((await getRun(resumed.runId)).status).toBe('completed');
    const asked = (
      await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${resumed.runId}` })
    ).json().items;
    expect(asked).toEqual([]);
    // The only mail the resumed run sent is step five's: no approver was asked again.
    expect(smtp.messages.slice(mailsBefore).map((m) => m.subject)).toEqual(['step five']);
  });

  it('answers a repeated resume with the run it started, doing the failed step only once', async () => {
    const failedRun = await failedAtStepFour();
    target.answer('/four', 200, { ok: true });
    const sent = sentTo('/four');
    const [first, second] = await Promise.all([
      retry(failedRun, { from: 'failed' }),
      retry(failedRun, { from: 'failed' }),
    ]);
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.json().runId).toBe(first.json().runId);
    expect([first.json().created, second.json().created].sort()).toEqual([false, true]);
    await settled(h, first.json().runId);
    const third = await retry(failedRun, { from: 'failed' });
    expect(third.json()).toMatchObject({ runId: first.json().runId, created: false, status: 'completed' });
    expect(sentTo('/four')).toBe(sent + 1);
  });

  it('refuses to resume a run that did not fail (409) and starts nothing', async () => {
    target.answer('/four', 200, { ok: true });
    const workflowId = await publish('Completes', {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'call', type: 'action', data: { action: 'http', method: 'POST', url: `${target.url}/four` } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'e' },
      ],
    });
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload: {} })
    ).json().runId as string;
    await settled(h, runId);
    expect((await getRun(runId)).status).toBe('completed');
    const before = await runCount();
    const refused = await retry(runId, { from: 'failed' });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 409, runStatus: 'completed' });
    expect(await runCount()).toBe(before);
  });

  it('refuses an unknown `from` or stray fields (400, listing each) and starts nothing', async () => {
    const runs = (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/runs?status=failed' })).json().items;
    const before = await runCount();
    const refused = await retry(runs[0].id, { from: 'start', also: 1 });
    expect(refused.statusCode).toBe(400);
    const paths = refused.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.from']));
    expect(refused.json().errors.length).toBeGreaterThanOrEqual(2);
    expect(await runCount()).toBe(before);
  });

  it("refuses to resume another tenant's failed run (404)", async () => {
    const runs = (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/runs?status=failed' })).json().items;
    const stranger = await h.newTenant();
    const refused = await retry(runs[0].id, { from: 'failed' }, stranger.adminKey);
    expect(refused.statusCode).toBe(404);
    expect(refused.body).not.toContain('A-17');
  });

  it('a retry without `from` still starts the whole run again', async () => {
    const failedRun = await failedAtStepFour();
    const sent = sentTo('/one');
    target.answer('/four', 200, { ok: true });
    const fresh = (await retry(failedRun)).json();
    expect(fresh.carriedOver).toBeUndefined();
    const approval = await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${fresh.runId}` })).json().items[0],
    );
    expect(sentTo('/one')).toBe(sent + 1);
    await h.api(manager.key, {
      method: 'POST',
      url: `/api/approvals/${approval.id}/decision`,
      payload: { decision: 'approve' },
    });
    await settled(h, fresh.runId);
    expect((await getRun(fresh.runId)).status).toBe('completed');
  });
});
