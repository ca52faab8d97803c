/**
 * Deciding an approval: the one path the API's decision route and the
 * approval links share. The workflow's Update validator has the last word.
 */
import { ApplicationFailure, type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { workflowApprovals } from '../../db/schema';
import { type ApprovalView, DECISION_FAILURES, decideUpdate } from '../../workflows/messages';
import type { Caller } from '../auth';
import { conflict, forbidden, HttpProblem } from '../errors';

type ApprovalRow = typeof workflowApprovals.$inferSelect;
export type Decider = Pick<Caller, 'userId' | 'email' | 'roles'>;

export function mayDecide(caller: Decider, row: ApprovalRow): boolean {
  return row.approverRoles.some((r) => caller.roles.includes(r)) || row.approverUsers.includes(caller.userId) || row.approverUsers.includes(caller.email);
}

/** Maps the workflow validator's typed refusals (and a closed run) to HTTP problems. */
export function decisionProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof WorkflowNotFoundError || (error instanceof Error && /already completed|not found/i.test(error.message) && !(error instanceof WorkflowUpdateFailedError))) {
    return conflict('The run has already closed; the decision was not recorded.');
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const { type, message } = error.cause;
    if (type === DECISION_FAILURES.notAllowed) return forbidden(message);
    if (type === DECISION_FAILURES.badDecision) return new HttpProblem(400, 'invalid-request', message, [{ path: 'body.decision', message }]);
    if (type === DECISION_FAILURES.unknown) return conflict(message);
    return conflict(message, { reason: type });
  }
  return undefined;
}


/** Records a decision through the run's Update; answers the approval's status after it. */
export async function decide(
  temporal: Client,
  approval: ApprovalRow,
  runId: string,
  actor: Decider,
  decision: string,
  comment: string | undefined,
  updateId: string,
): Promise<Omit<ApprovalView, 'status'> & { status: 'pending' | 'approved' | 'rejected' | string }> {
  // Checked here so the answer is quick; the workflow's validator checks again, and it is what counts.
  if (approval.status !== 'pending') {
    throw conflict(approval.status === 'expired' ? 'This approval expired before the decision arrived.' : 'This approval has already been decided.', { status: approval.status });
  }
  try {
    const view = await temporal.workflow.getHandle(runId).executeUpdate(decideUpdate, {
      args: [{ approvalId: approval.id, decision, ...(comment ? { comment } : {}), actor: { userId: actor.userId, email: actor.email, roles: actor.roles } }],
      updateId,
    });
    // A custom outcome other than a rejection counts as approved for the approval's status.
    return { ...view, status: view.status === 'pending' ? 'pending' : view.outcome === 'rejected' ? 'rejected' : 'approved' };
  } catch (error) {
    throw decisionProblem(error) ?? error;
  }
}
