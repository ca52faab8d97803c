/**
 * Deciding an approval: the one path the API's decision route and the
 * approval links share. The workflow's Update validator has the last word.
 */
import {
  ApplicationFailure,
  type Client,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { workflowApprovals } from '../../db/schema';
import { DECISION_FAILURES } from '../../lib/failures';
import type { Delegation } from '../../interpreter/approval-rules';
import { type ApprovalView, claimUpdate, decideUpdate, delegateUpdate, stateQuery } from '../../workflows/messages';
import { Conflict, type DomainError, Forbidden, InvalidInput } from '../../lib/domain-errors';
import type { Caller } from '../auth';
import { droppedWithWorkflowTask, sendUpdate } from './update-sends';

type ApprovalRow = typeof workflowApprovals.$inferSelect;
export type Decider = Pick<Caller, 'userId' | 'email' | 'roles'>;

/** Whether the caller holds a part of the approval: their own (not handed on), or one delegated to them. */
export function mayDecide(caller: Decider, row: ApprovalRow): boolean {
  if (row.delegates.includes(caller.userId)) return true;
  if ((row.delegations as Delegation[]).some((d) => d.from === caller.userId)) return false;
  return (
    row.approverRoles.some((r) => caller.roles.includes(r)) ||
    row.approverUsers.includes(caller.userId) ||
    row.approverUsers.includes(caller.email)
  );
}

/** The workflow validator's typed refusals (and a closed run) as domain errors; `reason` names the refusal. */
export function decisionRefusal(error: unknown): DomainError | undefined {
  if (
    error instanceof WorkflowNotFoundError ||
    (error instanceof Error &&
      /already completed|not found/i.test(error.message) &&
      !(error instanceof WorkflowUpdateFailedError))
  ) {
    return new Conflict('The run has already closed; the decision was not recorded.');
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const { type, message } = error.cause;
    if (type === DECISION_FAILURES.notAllowed) return new Forbidden(message);
    if (type === DECISION_FAILURES.badDecision) return new InvalidInput(message, [{ path: 'body.decision', message }]);
    if (type === DECISION_FAILURES.badData) {
      const details = error.cause.details?.[0] as { problems?: Array<{ path: string; message: string }> } | undefined;
      const problems = (details?.problems ?? []).map((p) => ({ path: `body.${p.path}`, message: p.message }));
      return new InvalidInput(message, problems);
    }
    if (type === DECISION_FAILURES.unknown) return new Conflict(message);
    return new Conflict(message, { reason: type });
  }
  return undefined;
}

/** Whether the run still waits on the approval (its row says otherwise only after a decision the run lost). */
async function stillWaits(handle: WorkflowHandle, approvalId: string): Promise<boolean> {
  const state = await handle.query(stateQuery).catch(() => undefined);
  return state?.pendingApprovals.some((pending) => pending.approvalId === approvalId) ?? false;
}

/** Why a closed approval takes no decision, by how it closed. */
function whyClosed(status: string): string {
  if (status === 'expired') return 'This approval expired before the decision arrived.';
  if (status === 'cancelled') return "This approval's run was cancelled: it can no longer be decided.";
  return 'This approval has already been decided.';
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
  data?: Record<string, unknown>,
): Promise<Omit<ApprovalView, 'status'> & { status: string }> {
  const handle = temporal.workflow.getHandle(runId);
  // Checked here so the answer is quick; the workflow's validator checks again, and it is what counts: a row closed by
  // a run from before 'approval-close-after-commit' whose decision was then lost still waits in the run.
  if (approval.status !== 'pending' && !(await stillWaits(handle, approval.id))) {
    throw new Conflict(whyClosed(approval.status), { approvalStatus: approval.status });
  }
  const args = [
    {
      approvalId: approval.id,
      decision,
      ...(comment ? { comment } : {}),
      ...(data && Object.keys(data).length ? { data } : {}),
      actor: { userId: actor.userId, email: actor.email, roles: actor.roles },
    },
  ] as const;
  const view = await withRetries(() => handle.executeUpdate(decideUpdate, { args: [...args], updateId }));
  // Once decided, the status is the outcome itself (`approved`, `rejected`, `changes_requested` …).
  return { ...view, status: view.status === 'pending' ? 'pending' : (view.outcome ?? view.status) };
}

/**
 * Claims an approval, or hands the caller's part to `to`, through the run's Update (its history records it, and its
 * validator has the last word); answers the approval as the run holds it after.
 */
export async function actOnTask(
  temporal: Client,
  approval: ApprovalRow,
  action: 'claim' | 'delegate',
  actor: Decider,
  updateId: string,
  to?: Decider,
): Promise<ApprovalView> {
  const handle = temporal.workflow.getHandle(approval.instanceId);
  if (approval.status !== 'pending' && !(await stillWaits(handle, approval.id)))
    throw new Conflict(whyClosed(approval.status), { approvalStatus: approval.status });
  const who = (d: Decider) => ({ userId: d.userId, email: d.email, roles: d.roles });
  const input = { approvalId: approval.id, actor: who(actor), ...(to ? { to: who(to) } : {}) };
  const update = action === 'claim' ? claimUpdate : delegateUpdate;
  return withRetries(() => handle.executeUpdate(update, { args: [input], updateId }));
}

const withRetries = <T>(send: () => Promise<T>) => sendUpdate(send, worthRetrying, decisionRefusal);

/** The two refusals of a decision that pass on their own. */
function worthRetrying(error: unknown): boolean {
  // The approval's row exists, so the run asked for it; a run that does not know it yet is re-running the step
  // after its worker died (the row was written, the workflow task was lost). It will ask again.
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
    return error.cause.type === DECISION_FAILURES.unknown;
  return droppedWithWorkflowTask(error);
}
