/**
 * The approval state of one run: the approvals it waits on, how the others closed, and those carried over by
 * continue-as-new. The decision Update, the state query and the waiting node all go through it, so the state has one
 * owner (Temporal's safe-message-handlers pattern). The rules themselves are in interpreter/approval-rules.ts.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  castVote,
  claimRefusal,
  type ClosedHow,
  delegate,
  delegationRefusal,
  expiredResult,
  type OpenApproval,
  type Refusal,
  refusalOf,
  voteOf,
  waitingOn,
} from '../interpreter/approval-rules';
import type { ApprovalRequest, ApprovalResult } from '../interpreter/engine';
import {
  type ApprovalView,
  claimUpdate,
  DECISION_FAILURES,
  type DecisionInput,
  delegateUpdate,
  type RunState,
  type TaskInput,
} from './messages';
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
    refuse(refusalOf(this.open.get(input.approvalId), this.closed.get(input.approvalId), input, this.requester));
  }

  /**
   * Answers the claim and delegate Updates: the run's history records who took the task and who handed their part to
   * whom, and the decision validator reads them. `onChange` counts the events each adds.
   */
  listen(onChange: () => void): void {
    const known = (input: TaskInput) => [this.open.get(input.approvalId), this.closed.get(input.approvalId)] as const;
    setHandler(
      claimUpdate,
      (input) => {
        onChange();
        const approval = this.open.get(input.approvalId)!;
        if (approval.claim?.userId !== input.actor.userId)
          approval.claim = {
            userId: input.actor.userId,
            email: input.actor.email,
            at: new Date(Date.now()).toISOString(),
          };
        return this.view(approval, 'pending');
      },
      { validator: (input) => refuse(claimRefusal(...known(input), input.actor, this.requester)) },
    );
    setHandler(
      delegateUpdate,
      (input) => {
        onChange();
        const approval = this.open.get(input.approvalId)!;
        delegate(approval, input.actor, input.to!, new Date(Date.now()).toISOString());
        return this.view(approval, 'pending');
      },
      {
        validator: (input) => {
          if (!input.to) throw ApplicationFailure.nonRetryable('Delegate to whom?', DECISION_FAILURES.holdsPart);
          refuse(delegationRefusal(...known(input), input.actor, input.to, this.requester));
        },
      },
    );
  }

  /** The Update's handler, after validation: records the vote and closes the approval once it is decided. */
  decide(input: DecisionInput, at: string): ApprovalView {
    const approval = this.open.get(input.approvalId);
    if (!approval)
      throw ApplicationFailure.nonRetryable('This run has no such approval waiting.', DECISION_FAILURES.unknown);
    const result = castVote(approval, voteOf(approval, input, at));
    if (result) this.close(approval, 'decided');
    return this.view(approval, result ? 'decided' : 'pending');
  }

  private view(approval: OpenApproval, status: ApprovalView['status']): ApprovalView {
    return {
      approvalId: approval.approvalId,
      nodeId: approval.request.nodeId,
      status,
      outcome: approval.result?.outcome ?? null,
      votes: approval.votes,
      // Only on approvals claimed or delegated, so the answers of runs from before either keep their shape.
      ...(approval.claim ? { claim: approval.claim } : {}),
      ...(approval.delegations?.length ? { delegations: approval.delegations } : {}),
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

  /** The approvals waiting and the outcomes each can be decided with: a move to another version keeps a way out. */
  waiting(): Array<{ nodeId: string; outcomes: string[] }> {
    return [...this.open.values()].map(({ request }) => ({ nodeId: request.nodeId, outcomes: request.outcomes }));
  }

  views(): RunState['pendingApprovals'] {
    return [...this.open.values()].map(({ approvalId, request, votes, claim, delegations }) => ({
      approvalId,
      nodeId: request.nodeId,
      approverRoles: request.approverRoles,
      approverUsers: request.approverUsers,
      votes,
      expiresAt: request.expiresAt === null ? null : new Date(request.expiresAt).toISOString(),
      ...(request.dueAt ? { dueAt: new Date(request.dueAt).toISOString() } : {}),
      ...(claim ? { claim } : {}),
      ...(delegations?.length ? { delegations } : {}),
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

/** Throws the named failure that tells the API why a task action is refused; a form's problems go with it. */
function refuse(refusal: Refusal | undefined): void {
  if (!refusal) return;
  const details = refusal.problems ? [{ problems: refusal.problems }] : [];
  throw ApplicationFailure.nonRetryable(refusal.message, DECISION_FAILURES[refusal.kind], ...details);
}
