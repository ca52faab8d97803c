/**
 * The rules of an approval, as pure functions: who may decide it, what a vote does, and when it next needs
 * attention (a reminder, an escalation, its expiry). The workflow's ApprovalDesk holds the state and the timers;
 * everything it decides is decided here, where a unit test can see it.
 */
import type { ApprovalRequest, ApprovalResult } from './engine';
import { checkFormData, formData } from './forms';
import type { Problem } from './problems';

export interface Vote {
  userId: string;
  email: string;
  decision: string;
  comment: string | null;
  at: string;
  /** The form data the vote carried (only when it carried some). */
  data?: Record<string, unknown>;
  /** The approver whose part a delegate voted with. */
  onBehalfOf?: string;
}

/** An approver's part handed to another user of the tenant: the delegate votes in their stead. */
export interface Delegation {
  from: string;
  to: string;
  toEmail: string;
  at: string;
}

/** The approver who took the task (others see it as claimed, and may still decide). */
export interface Claim {
  userId: string;
  email: string;
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
  /** Whether the reminder before the task's due date went out. */
  dueReminded?: boolean;
  delegations?: Delegation[];
  claim?: Claim;
}

/** How an approval that no longer waits was closed: a late decision is told which. */
export type ClosedHow = 'decided' | 'expired' | 'cancelled';

/** Why a decision is refused; the workflow turns each into a named failure the API maps to 403 or 409. */
export type RefusalKind =
  | 'notAllowed'
  | 'alreadyDecided'
  | 'alreadyVoted'
  | 'expired'
  | 'cancelled'
  | 'unknown'
  | 'badDecision'
  | 'badData'
  | 'claimed'
  | 'holdsPart';

export interface Refusal {
  kind: RefusalKind;
  message: string;
  /** For `badData`: every problem of the data against the form. */
  problems?: Problem[];
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
  /** The form data the decision carries. */
  data?: unknown;
}

const isApprover = (request: ApprovalRequest, actor: Decider): boolean =>
  request.approverRoles.some((role) => actor.roles.includes(role)) ||
  request.approverUsers.includes(actor.userId) ||
  request.approverUsers.includes(actor.email);

/**
 * Whose part `actor` decides with: their own (an approver who has not handed it on), the approver's who delegated to
 * them, or none.
 */
export function partOf(open: OpenApproval, actor: Decider): { own: true } | { onBehalfOf: string } | undefined {
  const delegations = open.delegations ?? [];
  const held = delegations.find((d) => d.to === actor.userId);
  if (held) return { onBehalfOf: held.from };
  if (isApprover(open.request, actor) && !delegations.some((d) => d.from === actor.userId)) return { own: true };
  return undefined;
}

const hasVoted = (open: OpenApproval, userId: string): boolean =>
  open.votes.some((vote) => vote.userId === userId || vote.onBehalfOf === userId);

const selfApproval = (open: OpenApproval, userId: string, requester: string | null): boolean =>
  !open.request.allowSelfApproval && !!requester && userId === requester;

/** Why `actor` may not act on `open` at all (claim it, hand it on): the checks every task action shares. */
function actorRefusal(
  open: OpenApproval | undefined,
  closed: ClosedHow | undefined,
  actor: Decider,
  requester: string | null,
): Refusal | undefined {
  if (!open)
    return closed ? CLOSED_REFUSALS[closed] : { kind: 'unknown', message: 'This run has no such approval waiting.' };
  if (!partOf(open, actor))
    return open.delegations?.some((d) => d.from === actor.userId)
      ? { kind: 'notAllowed', message: 'You handed your part of this approval to someone else.' }
      : { kind: 'notAllowed', message: "You are not one of this approval's approvers." };
  if (selfApproval(open, actor.userId, requester))
    return { kind: 'notAllowed', message: 'The requester of a run may not decide its approvals.' };
  if (hasVoted(open, actor.userId))
    return { kind: 'alreadyVoted', message: 'You have already voted on this approval.' };
  return undefined;
}

/** Why `actor` may not take the task (undefined: they may; taking it again is no refusal). */
export function claimRefusal(
  open: OpenApproval | undefined,
  closed: ClosedHow | undefined,
  actor: Decider,
  requester: string | null,
): Refusal | undefined {
  const refusal = actorRefusal(open, closed, actor, requester);
  if (refusal) return refusal;
  const claim = open!.claim;
  if (claim && claim.userId !== actor.userId)
    return { kind: 'claimed', message: `This approval was already claimed by ${claim.email}.` };
  return undefined;
}

/** Why `actor` may not hand their part to `to` (undefined: they may). */
export function delegationRefusal(
  open: OpenApproval | undefined,
  closed: ClosedHow | undefined,
  actor: Decider,
  to: Decider,
  requester: string | null,
): Refusal | undefined {
  const refusal = actorRefusal(open, closed, actor, requester);
  if (refusal) return refusal;
  if (to.userId === actor.userId) return { kind: 'holdsPart', message: 'You cannot delegate to yourself.' };
  // Delegation never lets the requester decide their own request.
  if (selfApproval(open!, to.userId, requester))
    return {
      kind: 'notAllowed',
      message: 'The requester of a run may not decide its approvals, not even as a delegate.',
    };
  if (partOf(open!, to) || hasVoted(open!, to.userId))
    return { kind: 'holdsPart', message: `${to.email} can already decide this approval.` };
  return undefined;
}

/**
 * Hands `actor`'s part to `to`: a part they hold by delegation moves on (the original approver stays its owner), their
 * own part becomes a delegation. A claim by the delegator passes to the delegate.
 */
export function delegate(open: OpenApproval, actor: Decider, to: Decider, at: string): Delegation {
  const delegations = (open.delegations ??= []);
  const held = delegations.find((d) => d.to === actor.userId);
  const delegation = held ?? { from: actor.userId, to: to.userId, toEmail: to.email, at };
  // Handed back to the approver it came from: the part is theirs again, not a delegation to themselves.
  if (held?.from === to.userId) delegations.splice(delegations.indexOf(held), 1);
  else if (held) Object.assign(held, { to: to.userId, toEmail: to.email, at });
  else delegations.push(delegation);
  if (open.claim?.userId === actor.userId) open.claim = { userId: to.userId, email: to.email, at };
  return delegation;
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
  const refusal = actorRefusal(open, closed, attempt.actor, requester);
  if (refusal) return refusal;
  const problems = checkFormData(request.form, attempt.data, decision);
  if (problems.length)
    return { kind: 'badData', message: "The decision's data does not fit the approval's form.", problems };
  return undefined;
}

/** The vote `attempt` casts (after refusalOf found nothing wrong with it). */
export function voteOf(open: OpenApproval, attempt: DecisionAttempt & { comment?: string }, at: string): Vote {
  const { actor } = attempt;
  const part = partOf(open, actor);
  const data = formData(attempt.data);
  return {
    userId: actor.userId,
    email: actor.email,
    decision: normalizeDecision(attempt.decision),
    comment: attempt.comment ?? null,
    at,
    ...(data ? { data } : {}),
    ...(part && 'onBehalfOf' in part ? { onBehalfOf: part.onBehalfOf } : {}),
  };
}

/**
 * Records a vote and decides the approval when it should: a rejection decides at once, any other outcome when as
 * many approvers as the quorum have chosen it. Returns the result once decided.
 */
export function castVote(open: OpenApproval, vote: Vote): ApprovalResult | undefined {
  open.votes.push(vote);
  const count = open.votes.filter((v) => v.decision === vote.decision).length;
  if (vote.decision !== 'rejected' && count < open.request.quorum) return undefined;
  open.result = {
    outcome: vote.decision,
    decidedBy: vote.userId,
    comment: vote.comment,
    votes: open.votes,
    ...(vote.data ? { data: vote.data } : {}),
  };
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
  /** The reminder that the task falls due soon. */
  dueRemindAt: number | null;
  /** The earliest of the three, or null: then only a decision ends the wait. */
  next: number | null;
  /** What the timer is for, shown beside it in the Web UI. */
  summary: string;
}

/** The most a reminder of a due date goes out ahead of it. */
const DUE_REMINDER_LEAD_MS = 24 * 3_600_000;

/**
 * When approvers are reminded that the task falls due: a quarter of the time they were given before it, at most a day
 * ahead. Never for a due date already passed when the task was asked.
 */
export function dueReminderAt(open: OpenApproval, now: number): number | null {
  const { dueAt } = open.request;
  if (dueAt === undefined || dueAt === null) return null;
  const given = dueAt - (open.requestedAt ?? now);
  if (given <= 0) return null;
  return dueAt - Math.min(DUE_REMINDER_LEAD_MS, Math.floor(given / 4));
}

/**
 * `followUp` is false for runs from before approvers were reminded and escalated to, `dueReminder` for runs from before
 * due dates (they replay as they ran).
 */
export function planWait(open: OpenApproval, followUp: boolean, now: number, dueReminder = false): WaitPlan {
  const { request } = open;
  const remindAt =
    followUp && request.reminderEveryMs
      ? (open.requestedAt ?? now) + ((open.reminders ?? 0) + 1) * request.reminderEveryMs
      : null;
  const escalateAt = followUp && request.escalation && !open.escalated ? request.escalation.at : null;
  const dueRemindAt = followUp && dueReminder && !open.dueReminded ? dueReminderAt(open, now) : null;
  const deadlines = [request.expiresAt, remindAt, escalateAt, dueRemindAt].filter((d): d is number => d !== null);
  const next = deadlines.length ? Math.min(...deadlines) : null;
  const what =
    next === request.expiresAt
      ? 'expires'
      : next === escalateAt
        ? 'escalates'
        : next === dueRemindAt && next !== remindAt
          ? 'falls due soon'
          : 'reminds';
  return {
    expiresAt: request.expiresAt,
    remindAt,
    escalateAt,
    dueRemindAt,
    next,
    summary: `${request.nodeId}: ${what}`,
  };
}

/** What fell due when the planned timer fired at `now`. An expiry ends the wait; nothing else is done then. */
export function dueAt(
  plan: WaitPlan,
  now: number,
): { expired: boolean; escalate: boolean; remind: boolean; remindDue: boolean } {
  if (plan.expiresAt !== null && now >= plan.expiresAt)
    return { expired: true, escalate: false, remind: false, remindDue: false };
  return {
    expired: false,
    escalate: plan.escalateAt !== null && now >= plan.escalateAt,
    remind: plan.remindAt !== null && now >= plan.remindAt,
    remindDue: plan.dueRemindAt !== null && now >= plan.dueRemindAt,
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
