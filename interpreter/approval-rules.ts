/**
 * The rules of an approval, as pure functions: who may decide it, what a vote does, and when it next needs
 * attention (a reminder, an escalation, its expiry). The workflow's ApprovalDesk holds the state and the timers;
 * everything it decides is decided here, where a unit test can see it.
 */
import type { ApprovalRequest, ApprovalResult } from './engine';

export interface Vote {
  userId: string;
  email: string;
  decision: string;
  comment: string | null;
  at: string;
}

/** Who decides: checked by the API against its key, and again by the workflow. */
export interface Decider {
  userId: string;
  email: string;
  roles: string[];
}

/** An approval the run is waiting on: its request, the votes so far, and how far its reminders have gone. */
export interface OpenApproval {
  approvalId: string;
  request: ApprovalRequest;
  votes: Vote[];
  result?: ApprovalResult;
  /** When it was asked (ms since epoch): reminders count from here. */
  requestedAt?: number;
  reminders?: number;
  escalated?: boolean;
}

/** How an approval that no longer waits was closed: a late decision is told which. */
export type ClosedHow = 'decided' | 'expired' | 'cancelled';

/** Why a decision is refused; the workflow turns each into a named failure the API maps to 403 or 409. */
export type RefusalKind =
  'notAllowed' | 'alreadyDecided' | 'alreadyVoted' | 'expired' | 'cancelled' | 'unknown' | 'badDecision';

export interface Refusal {
  kind: RefusalKind;
  message: string;
}

const DECISION_ALIASES: Record<string, string> = { approve: 'approved', reject: 'rejected' };

/** `approve` and `reject` stand for the default outcomes `approved` and `rejected`. */
export const normalizeDecision = (decision: string): string => DECISION_ALIASES[decision] ?? decision;

const CLOSED_REFUSALS: Record<ClosedHow, Refusal> = {
  expired: { kind: 'expired', message: 'This approval expired before the decision arrived.' },
  decided: { kind: 'alreadyDecided', message: 'This approval has already been decided.' },
  cancelled: { kind: 'cancelled', message: "This approval's run was cancelled: it can no longer be decided." },
};

export interface DecisionAttempt {
  decision: string;
  actor: Decider;
}

/**
 * Why `attempt` may not be recorded on `open` (undefined: it may). `closed` says how the approval ended when it no
 * longer waits; `requester` is who started the run (who may not approve their own request unless allowed).
 */
export function refusalOf(
  open: OpenApproval | undefined,
  closed: ClosedHow | undefined,
  attempt: DecisionAttempt,
  requester: string | null,
): Refusal | undefined {
  if (!open)
    return closed ? CLOSED_REFUSALS[closed] : { kind: 'unknown', message: 'This run has no such approval waiting.' };
  const { request } = open;
  const decision = normalizeDecision(attempt.decision);
  if (!request.outcomes.includes(decision)) {
    return {
      kind: 'badDecision',
      message: `"${attempt.decision}" is not an outcome of this approval; one of ${request.outcomes.join(', ')}.`,
    };
  }
  const { actor } = attempt;
  const byRole = request.approverRoles.some((role) => actor.roles.includes(role));
  const byName = request.approverUsers.includes(actor.userId) || request.approverUsers.includes(actor.email);
  if (!byRole && !byName) return { kind: 'notAllowed', message: "You are not one of this approval's approvers." };
  if (!request.allowSelfApproval && requester && actor.userId === requester) {
    return { kind: 'notAllowed', message: 'The requester of a run may not decide its approvals.' };
  }
  if (open.votes.some((vote) => vote.userId === actor.userId))
    return { kind: 'alreadyVoted', message: 'You have already voted on this approval.' };
  return undefined;
}

/**
 * Records a vote and decides the approval when it should: a rejection decides at once, any other outcome when as
 * many approvers as the quorum have chosen it. Returns the result once decided.
 */
export function castVote(open: OpenApproval, vote: Vote): ApprovalResult | undefined {
  open.votes.push(vote);
  const count = open.votes.filter((v) => v.decision === vote.decision).length;
  if (vote.decision !== 'rejected' && count < open.request.quorum) return undefined;
  open.result = { outcome: vote.decision, decidedBy: vote.userId, comment: vote.comment, votes: open.votes };
  return open.result;
}

/** The result of an approval nobody decided in time. */
export const expiredResult = (open: OpenApproval): ApprovalResult => ({
  outcome: 'expired',
  decidedBy: null,
  comment: null,
  votes: open.votes,
});

/** The moments an open approval waits for, worked out once per wait so the same figures decide what fell due. */
export interface WaitPlan {
  expiresAt: number | null;
  remindAt: number | null;
  escalateAt: number | null;
  /** The earliest of the three, or null: then only a decision ends the wait. */
  next: number | null;
  /** What the timer is for, shown beside it in the Web UI. */
  summary: string;
}

/** `followUp` is false for runs from before approvers were reminded and escalated to (they replay as they ran). */
export function planWait(open: OpenApproval, followUp: boolean, now: number): WaitPlan {
  const { request } = open;
  const remindAt =
    followUp && request.reminderEveryMs
      ? (open.requestedAt ?? now) + ((open.reminders ?? 0) + 1) * request.reminderEveryMs
      : null;
  const escalateAt = followUp && request.escalation && !open.escalated ? request.escalation.at : null;
  const deadlines = [request.expiresAt, remindAt, escalateAt].filter((d): d is number => d !== null);
  const next = deadlines.length ? Math.min(...deadlines) : null;
  const what = next === request.expiresAt ? 'expires' : next === escalateAt ? 'escalates' : 'reminds';
  return { expiresAt: request.expiresAt, remindAt, escalateAt, next, summary: `${request.nodeId}: ${what}` };
}

/** What fell due when the planned timer fired at `now`. An expiry ends the wait; nothing else is done then. */
export function dueAt(plan: WaitPlan, now: number): { expired: boolean; escalate: boolean; remind: boolean } {
  if (plan.expiresAt !== null && now >= plan.expiresAt) return { expired: true, escalate: false, remind: false };
  return {
    expired: false,
    escalate: plan.escalateAt !== null && now >= plan.escalateAt,
    remind: plan.remindAt !== null && now >= plan.remindAt,
  };
}

/** The approver roles after an escalation: the escalation's roles join those asked before. */
export function escalatedRoles(request: ApprovalRequest): string[] {
  return [...new Set([...request.approverRoles, ...(request.escalation?.toRoles ?? [])])];
}

/** What the Web UI's "waiting on" search attribute lists for the approvals a run waits on. */
export function waitingOn(open: Iterable<OpenApproval>): string[] {
  const names = [...open].flatMap(({ request }) => [
    `node:${request.nodeId}`,
    ...request.approverRoles.map((r) => `role:${r}`),
    ...request.approverUsers.map((u) => `user:${u}`),
  ]);
  return [...new Set(names)];
}
