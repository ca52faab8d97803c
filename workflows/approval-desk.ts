/**
 * The approval state of one run: the approvals it waits on, how the others closed, and those carried over by
 * continue-as-new. The decision Update, the state query and the waiting node all go through it, so the state has one
 * owner (Temporal's safe-message-handlers pattern). The rules themselves are in interpreter/approval-rules.ts.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import {
  castVote,
  type ClosedHow,
  expiredResult,
  normalizeDecision,
  type OpenApproval,
  refusalOf,
  waitingOn,
} from '../interpreter/approval-rules';
import type { ApprovalRequest, ApprovalResult } from '../interpreter/engine';
import { type ApprovalView, DECISION_FAILURES, type DecisionInput, type RunState } from './messages';
import type { Checkpoint } from './types';

export class ApprovalDesk {
  private readonly open = new Map<string, OpenApproval>();
  private readonly closed: Map<string, ClosedHow>;
  /** Approvals waiting when the earlier run continued as new, by step key, until the graph reaches them again. */
  private readonly carried = new Map<string, OpenApproval>();

  constructor(
    private readonly requester: string | null,
    checkpoint?: Pick<Checkpoint, 'pendingApprovals' | 'closedApprovals'>,
  ) {
    this.closed = new Map(Object.entries(checkpoint?.closedApprovals ?? {}));
    // Open again at once, so a decision arriving before the graph is re-executed up to them is still accepted.
    for (const [stepKey, saved] of Object.entries(checkpoint?.pendingApprovals ?? {})) {
      const approval: OpenApproval = { ...saved };
      this.carried.set(stepKey, approval);
      this.open.set(approval.approvalId, approval);
    }
  }

  get size(): number {
    return this.open.size;
  }

  /** The Update's validator: throws the named failure that tells the API why a decision is refused. */
  validate(input: DecisionInput): void {
    const refusal = refusalOf(
      this.open.get(input.approvalId),
      this.closed.get(input.approvalId),
      input,
      this.requester,
    );
    if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, DECISION_FAILURES[refusal.kind]);
  }

  /** The Update's handler, after validation: records the vote and closes the approval once it is decided. */
  decide(input: DecisionInput, at: string): ApprovalView {
    const approval = this.open.get(input.approvalId);
    if (!approval)
      throw ApplicationFailure.nonRetryable('This run has no such approval waiting.', DECISION_FAILURES.unknown);
    const { actor } = input;
    const decision = normalizeDecision(input.decision);
    const result = castVote(approval, {
      userId: actor.userId,
      email: actor.email,
      decision,
      comment: input.comment ?? null,
      at,
    });
    if (result) this.close(approval, 'decided');
    return {
      approvalId: input.approvalId,
      nodeId: approval.request.nodeId,
      status: result ? 'decided' : 'pending',
      outcome: result?.outcome ?? null,
      votes: approval.votes,
    };
  }

  /**
   * The approval for a node that asks: the one carried over from before continue-as-new when there is one (it keeps
   * its id, votes and deadline), else a new one.
   */
  ask(request: ApprovalRequest, newId: () => string, now: number): { approval: OpenApproval; resumed: boolean } {
    const carried = this.carried.get(request.stepKey);
    this.carried.delete(request.stepKey);
    if (carried) return { approval: carried, resumed: true };
    const approval: OpenApproval = {
      approvalId: newId(),
      request,
      votes: [],
      requestedAt: now,
      reminders: 0,
      escalated: false,
    };
    this.open.set(approval.approvalId, approval);
    return { approval, resumed: false };
  }

  /** Closes an approval nobody decided in time; synchronous, so a decision in the same instant is refused. */
  expire(approval: OpenApproval): ApprovalResult {
    if (approval.result) return approval.result;
    approval.result = expiredResult(approval);
    this.close(approval, 'expired');
    return approval.result;
  }

  /** The run was cancelled: every open approval closes with it, and a late decision is told so. */
  cancelAll(): void {
    for (const approval of this.open.values()) this.close(approval, 'cancelled');
  }

  waitingOn(): string[] {
    return waitingOn(this.open.values());
  }

  views(): RunState['pendingApprovals'] {
    return [...this.open.values()].map(({ approvalId, request, votes }) => ({
      approvalId,
      nodeId: request.nodeId,
      approverRoles: request.approverRoles,
      approverUsers: request.approverUsers,
      votes,
      expiresAt: request.expiresAt === null ? null : new Date(request.expiresAt).toISOString(),
    }));
  }

  checkpoint(): Pick<Checkpoint, 'pendingApprovals' | 'closedApprovals'> {
    const pending = [...this.open.values()].map(
      ({ result: _result, ...saved }) => [saved.request.stepKey, saved] as const,
    );
    return { pendingApprovals: Object.fromEntries(pending), closedApprovals: Object.fromEntries(this.closed) };
  }

  private close(approval: OpenApproval, how: ClosedHow): void {
    this.open.delete(approval.approvalId);
    this.closed.set(approval.approvalId, how);
  }
}
