import { describe, expect, it } from 'vitest';
import {
  castVote,
  dueAt,
  escalatedRoles,
  normalizeDecision,
  type OpenApproval,
  planWait,
  refusalOf,
  waitingOn,
} from './approval-rules';
import type { ApprovalRequest } from './engine';

const HOUR = 3_600_000;

function request(over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    nodeId: 'ask',
    stepKey: 'ask:1',
    label: 'Ask',
    approverRoles: ['manager'],
    approverUsers: ['dana@example.com'],
    quorum: 1,
    outcomes: ['approved', 'rejected'],
    expiresAt: null,
    allowSelfApproval: false,
    message: null,
    reminderEveryMs: null,
    escalation: null,
    notify: { channels: ['email'], slackChannel: null },
    ...over,
  };
}

const open = (over: Partial<ApprovalRequest> = {}): OpenApproval => ({
  approvalId: 'a1',
  request: request(over),
  votes: [],
  requestedAt: 0,
  reminders: 0,
  escalated: false,
});
const manager = { userId: 'u-manager', email: 'm@example.com', roles: ['manager'] };
const vote = (userId: string, decision: string) => ({
  userId,
  email: `${userId}@example.com`,
  decision,
  comment: null,
  at: '2026-01-01T00:00:00.000Z',
});

describe('who may decide an approval', () => {
  it('an approver by role or by address may; anyone else may not', () => {
    expect(refusalOf(open(), undefined, { decision: 'approve', actor: manager }, null)).toBeUndefined();
    expect(
      refusalOf(
        open(),
        undefined,
        { decision: 'approved', actor: { userId: 'u-dana', email: 'dana@example.com', roles: [] } },
        null,
      ),
    ).toBeUndefined();
    expect(
      refusalOf(
        open(),
        undefined,
        { decision: 'approved', actor: { userId: 'u-x', email: 'x@example.com', roles: ['viewer'] } },
        null,
      )?.kind,
    ).toBe('notAllowed');
  });

  it("the run's requester may not, unless the node allows self-approval", () => {
    expect(refusalOf(open(), undefined, { decision: 'approved', actor: manager }, manager.userId)?.message).toMatch(
      /requester/,
    );
    expect(
      refusalOf(open({ allowSelfApproval: true }), undefined, { decision: 'approved', actor: manager }, manager.userId),
    ).toBeUndefined();
  });

  it('a decision that is not one of the outcomes is refused, naming them', () => {
    const refusal = refusalOf(
      open({ outcomes: ['approved', 'changes_requested'] }),
      undefined,
      { decision: 'maybe', actor: manager },
      null,
    );
    expect(refusal).toEqual({
      kind: 'badDecision',
      message: '"maybe" is not an outcome of this approval; one of approved, changes_requested.',
    });
  });

  it('a second vote by the same approver is refused', () => {
    const approval = open({ quorum: 2 });
    castVote(approval, vote(manager.userId, 'approved'));
    expect(refusalOf(approval, undefined, { decision: 'approved', actor: manager }, null)?.kind).toBe('alreadyVoted');
  });

  it('a late decision is told how the approval closed: decided, expired, or cancelled with its run', () => {
    const late = { decision: 'approved', actor: manager };
    expect(refusalOf(undefined, 'decided', late, null)?.kind).toBe('alreadyDecided');
    expect(refusalOf(undefined, 'expired', late, null)?.kind).toBe('expired');
    expect(refusalOf(undefined, 'cancelled', late, null)).toEqual({
      kind: 'cancelled',
      message: "This approval's run was cancelled: it can no longer be decided.",
    });
    expect(refusalOf(undefined, undefined, late, null)?.kind).toBe('unknown');
  });

  it('approve and reject stand for the default outcomes; other words stay as they are', () => {
    expect([normalizeDecision('approve'), normalizeDecision('reject'), normalizeDecision('changes_requested')]).toEqual(
      ['approved', 'rejected', 'changes_requested'],
    );
  });
});

describe('what a vote does', () => {
  it('decides at the quorum, with the votes that made it', () => {
    const approval = open({ quorum: 2 });
    expect(castVote(approval, vote('u1', 'approved'))).toBeUndefined();
    const result = castVote(approval, vote('u2', 'approved'));
    expect(result).toMatchObject({ outcome: 'approved', decidedBy: 'u2' });
    expect(result?.votes).toHaveLength(2);
  });

  it('a rejection decides at once, whatever the quorum', () => {
    expect(castVote(open({ quorum: 3 }), vote('u1', 'rejected'))?.outcome).toBe('rejected');
  });

  it('a custom outcome decides as itself', () => {
    expect(
      castVote(open({ outcomes: ['approved', 'changes_requested'] }), vote('u1', 'changes_requested'))?.outcome,
    ).toBe('changes_requested');
  });
});

describe('when an approval needs attention', () => {
  it('waits for nothing but a decision when it has no expiry, reminder or escalation', () => {
    expect(planWait(open(), true, 0).next).toBeNull();
  });

  it('reminds every period from when it was asked, escalates once, expires last', () => {
    const approval = open({
      reminderEveryMs: HOUR,
      escalation: { at: 90 * 60_000, toRoles: ['director'] },
      expiresAt: 3 * HOUR,
    });
    let plan = planWait(approval, true, 0);
    expect(plan).toMatchObject({ next: HOUR, summary: 'ask: reminds' });
    expect(dueAt(plan, HOUR)).toEqual({ expired: false, escalate: false, remind: true, remindDue: false });
    approval.reminders = 1;
    plan = planWait(approval, true, HOUR);
    expect(plan).toMatchObject({ next: 90 * 60_000, summary: 'ask: escalates' });
    expect(dueAt(plan, 90 * 60_000)).toEqual({ expired: false, escalate: true, remind: false, remindDue: false });
    approval.escalated = true;
    expect(planWait(approval, true, 90 * 60_000).next).toBe(2 * HOUR);
    approval.reminders = 2;
    plan = planWait(approval, true, 2 * HOUR);
    expect(plan).toMatchObject({ next: 3 * HOUR, summary: 'ask: expires' });
    expect(dueAt(plan, 3 * HOUR)).toEqual({ expired: true, escalate: false, remind: false, remindDue: false });
  });

  it('runs from before reminders (no follow-up) wait only for the expiry', () => {
    expect(planWait(open({ reminderEveryMs: HOUR, expiresAt: 5 * HOUR }), false, 0)).toMatchObject({
      next: 5 * HOUR,
      remindAt: null,
      escalateAt: null,
    });
  });

  it('an escalation adds its roles to those asked before, once each', () => {
    expect(
      escalatedRoles(request({ approverRoles: ['manager'], escalation: { at: 1, toRoles: ['director', 'manager'] } })),
    ).toEqual(['manager', 'director']);
  });

  it('lists whom a run waits on for the Web UI, without repeats', () => {
    expect(waitingOn([open(), { ...open(), approvalId: 'a2' }])).toEqual([
      'node:ask',
      'role:manager',
      'user:dana@example.com',
    ]);
  });
});
