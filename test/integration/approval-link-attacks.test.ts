/**
 * Approval links under attack: a re-posted link never changes a vote and
 * never claims to (the answer names the vote that stands), and only a token
 * exactly as we issued it opens anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { approvalDefinition } from '../support/graphs';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let requester: { userId: string; key: string };
const managers: Array<{ userId: string; key: string; email: string }> = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await createHarness({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://127.0.0.1:3999' });
  requester = await h.newUser(h.tenant, ['operator']);
  for (let i = 0; i < 2; i++) {
    const user = await h.newUser(h.tenant, ['manager']);
    const email = (await h.database.db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, user.userId) }))!.email;
    managers.push({ ...user, email });
  }
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const unfold = (raw: string) => raw.replace(/=\r?\n/g, '');
const post = (token: string, decision: string) =>
  h.app.inject({ method: 'POST', url: `/approve/${token}`, headers: form, payload: `decision=${decision}` });

/**
 * Starts a run waiting on a quorum-2 manager approval (so one vote leaves it open); answers its ids and the first
 * manager's link.
 */
async function waitingApproval(name: string) {
  const definition = approvalDefinition({
    label: 'Decide',
    approverRoles: ['manager'],
    quorum: 2,
    expiresIn: '1h',
    message: `Please decide ${name}`,
  });
  const id = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id;
  expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
    201,
  );
  const runId = (
    await h.api(requester.key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
  ).json().runId as string;
  const approvalId = (
    await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
    )
  ).id as string;
  const mail = await eventually(async () =>
    smtp.messages.find((m) => m.to.includes(managers[0]!.email) && m.raw.includes(`Please decide ${name}`)),
  );
  const token = /\/approve\/([A-Za-z0-9_.-]+)/.exec(unfold(mail.raw))![1]!;
  return { runId, approvalId, token };
}

/** The votes the run holds for its open approval. */
const liveVotes = async (runId: string) =>
  ((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/state` })).json().pendingApprovals[0]
    ?.votes ?? []) as Array<{ userId: string; decision: string }>;

describe('a re-posted approval link', () => {
  it('answers with the vote that stands when the link is re-posted with another decision', async () => {
    const { runId, approvalId, token } = await waitingApproval('Re-post');
    const first = await post(token, 'approved');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Recorded: approved');

    const flipped = await post(token, 'rejected');
    expect(flipped.statusCode).toBe(409);
    expect(flipped.body).not.toContain('Recorded: rejected');
    expect(flipped.body).toContain('you already answered approved');
    const again = await post(token, 'approved');
    // The same button again (a double click) is no conflict: it names the same vote.
    expect(again.statusCode).toBe(200);
    expect(again.body).toMatch(/(Already recorded|Recorded): approved/);
    expect((await liveVotes(runId)).map((v) => [v.userId, v.decision])).toEqual([[managers[0]!.userId, 'approved']]);

    // The second manager closes it; the first one's link still says what counted.
    expect(
      (
        await h.api(managers[1]!.key, {
          method: 'POST',
          url: `/api/approvals/${approvalId}/decision`,
          payload: { decision: 'approve' },
        })
      ).statusCode,
    ).toBe(200);
    await settled(h, runId);
    const late = await post(token, 'rejected');
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('you already answered approved');
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.output).toEqual({ outcome: 'approved' });
    expect(run.approvals[0].votes.map((v: { decision: string }) => v.decision)).toEqual(['approved', 'approved']);
  });

  it('names the vote cast through the API when the link is posted after it', async () => {
    const { runId, approvalId, token } = await waitingApproval('API first');
    expect(
      (
        await h.api(managers[0]!.key, {
          method: 'POST',
          url: `/api/approvals/${approvalId}/decision`,
          payload: { decision: 'approve' },
        })
      ).statusCode,
    ).toBe(200);
    const res = await post(token, 'rejected');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('you already answered approved');
    expect((await liveVotes(runId)).map((v) => v.decision)).toEqual(['approved']);
  });
});

describe('approval link tokens', () => {
  it('refuses a token with a trailing .extra, and every token that is not exactly one we issued', async () => {
    const { runId, token } = await waitingApproval('Forged tokens');
    const [payload, signature] = token.split('.') as [string, string];
    const forged = [
      `${token}.extra`,
      `${token}.`,
      `${token}%2Eextra`,
      `${token}=`,
      `${token}A`,
      `.${token}`,
      `${payload}.${signature}.${signature}`,
      `${payload}.${signature.slice(0, -1)}`,
      `${payload}..${signature}`,
      `${payload}.${signature.toUpperCase()}`,
      `${payload}=.${signature}`,
      `${payload}.${signature}${'A'.repeat(500)}`,
      payload,
      '',
    ];
    for (const candidate of forged) {
      if (candidate === token) continue;
      const shown = await h.app.inject({ method: 'GET', url: `/approve/${candidate}` });
      expect(shown.statusCode, candidate).toBe(404);
      const decided = await post(candidate, 'rejected');
      expect(decided.statusCode, candidate).toBe(404);
      expect(decided.body).not.toContain('Recorded');
    }
    expect(await liveVotes(runId)).toEqual([]);
    // The genuine token still works, once.
    const genuine = await post(token, 'approved');
    expect(genuine.statusCode).toBe(200);
    expect(genuine.body).toContain('Recorded: approved');
  });
});
