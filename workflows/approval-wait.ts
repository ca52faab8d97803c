/**
 * Waiting on an approval node: open it on the desk, record it, ask its approvers (email with signed links, Slack),
 * then wait for the decision while reminding those who have not voted, escalating, and expiring it on time.
 */
import { condition, isCancellation, patched, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { dueAt, escalatedRoles, type OpenApproval, planWait } from '../interpreter/approval-rules';
import type { ApprovalRequest, ApprovalResult } from '../interpreter/engine';
import type { ApprovalDesk } from './approval-desk';
import type { RunNotices } from './configured-notifications';
import { EVENTS_PER_ACTIVITY, EVENTS_PER_LOCAL_ACTIVITY, EVENTS_PER_TIMER, type HistoryBudget } from './history-budget';
import { committedProjection, projection, type WriteBehind } from './projection-writer';
import { WaitingOnKey } from './search-attributes';
import type { RunGraphInput } from './types';
import { work } from './work-routing';

type AskKind = 'request' | 'reminder' | 'escalation' | 'due';

export interface ApprovalWaitDeps {
  args: RunGraphInput;
  runId: string;
  desk: ApprovalDesk;
  budget: HistoryBudget;
  writes: WriteBehind;
  notices: RunNotices;
}

export function approvalWaiter(deps: ApprovalWaitDeps): (request: ApprovalRequest) => Promise<ApprovalResult> {
  const { args, runId, desk, budget, writes, notices } = deps;
  const { tenantId } = args;
  const showWaitingOn = () => upsertSearchAttributes([{ key: WaitingOnKey, value: desk.waitingOn() }]);

  /** Asks approvers (or, for a reminder, those who have not voted) by email and Slack; never fails the approval. */
  const askApprovers = async (approval: OpenApproval, kind: AskKind, roles: string[]) => {
    const { request } = approval;
    if (request.notify.channels.length === 0) return;
    const exclude = [
      ...approval.votes.map((v) => v.userId),
      ...(!request.allowSelfApproval && args.triggeredBy ? [args.triggeredBy] : []),
    ];
    try {
      await budget.counted(() =>
        work.notifyApprovers.executeWithOptions(
          {
            startToCloseTimeout: '2 minutes',
            heartbeatTimeout: '15 seconds',
            retry: { maximumAttempts: 3 },
            summary: `${request.nodeId}: ${kind}`,
          },
          [
            {
              tenantId,
              runId,
              approvalId: approval.approvalId,
              stepKey: request.stepKey,
              nodeId: request.nodeId,
              workflowName: args.definition.name,
              kind,
              round: kind === 'reminder' ? (approval.reminders ?? 0) : 0,
              roles,
              users: kind === 'escalation' ? [] : request.approverUsers,
              excludeUserIds: exclude,
              channels: request.notify.channels,
              slackChannel: request.notify.slackChannel,
              message: request.message,
              outcomes: request.outcomes,
              ...(request.form?.required.length ? { formRequired: true } : {}),
            },
          ],
        ),
      );
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The approval still waits and can be decided in the inbox; the failure shows on the activity in the Web UI.
    }
  };

  return async (asked: ApprovalRequest): Promise<ApprovalResult> => {
    const { approval, resumed } = desk.ask(asked, uuid4, Date.now());
    const { request } = approval;
    budget.add(EVENTS_PER_TIMER + 2 * EVENTS_PER_LOCAL_ACTIVITY);
    // Runs before approvers were notified, reminded and escalated to replay as they ran.
    const followUp = patched('approval-notify');
    // Since 'approval-ask-in-background', approvers are asked while the approval already waits: a slow or crashed
    // send holds up neither the decision nor the timers. Earlier runs waited for each ask, and replay as they ran.
    const inBackground = followUp && patched('approval-ask-in-background');
    const ask = async (kind: AskKind, roles: string[]) => {
      if (!inBackground) return askApprovers(approval, kind, roles);
      // askApprovers never fails the approval; a cancellation of the run ends the ask with it.
      void askApprovers(approval, kind, roles).catch(() => undefined);
    };
    if (!resumed) {
      await projection.recordApprovalRequested({
        tenantId,
        runId,
        approvalId: approval.approvalId,
        stepKey: request.stepKey,
        request,
      });
      if (followUp) await ask('request', request.approverRoles);
      if (notices.listens('approval_requested')) {
        const about = {
          node: { id: request.nodeId, label: request.label },
          approval: { id: approval.approvalId, message: request.message, approverRoles: request.approverRoles },
        };
        await notices.notify('approval_requested', request.stepKey, about);
      }
    }
    showWaitingOn();
    // Since 'approval-forms', a task with a due date reminds its approvers before it. Asked only of tasks that have
    // one, so runs without a due date keep their histories; earlier runs whose node had a stray `dueIn` replay as ran.
    const dueReminder = followUp && typeof request.dueAt === 'number' && patched('approval-forms');
    const decided = () => approval.result !== undefined;
    for (;;) {
      const plan = planWait(approval, followUp, Date.now(), dueReminder);
      if (plan.next === null) {
        await condition(decided);
        break;
      }
      if (await condition(decided, Math.max(1, plan.next - Date.now()), { summary: plan.summary })) break;
      const due = dueAt(plan, Date.now());
      if (due.expired) break;
      // Those the escalation has just told are not reminded in the same instant.
      const remind = request.approverRoles;
      if (due.escalate && request.escalation) {
        approval.escalated = true;
        request.approverRoles = escalatedRoles(request);
        await projection.recordApprovalEscalated({
          tenantId,
          approvalId: approval.approvalId,
          approverRoles: request.approverRoles,
        });
        showWaitingOn();
        await ask('escalation', request.escalation.toRoles);
      }
      if (due.remind) {
        approval.reminders = (approval.reminders ?? 0) + 1;
        await ask('reminder', remind);
      } else if (due.remindDue) await ask('due', remind);
      // Marked even when a regular reminder went out in the same instant: approvers are told once.
      if (due.remindDue) approval.dueReminded = true;
    }
    const expired = approval.result === undefined;
    const result = desk.expire(approval);
    showWaitingOn();
    if (expired && patched('platform-events')) {
      await notices.emit(
        'approval.expired',
        { ...notices.about, approvalId: approval.approvalId, nodeId: request.nodeId },
        `${runId}:${approval.approvalId}`,
      );
    }
    const closedAt = new Date(Date.now()).toISOString();
    const closing = { tenantId, approvalId: approval.approvalId, result, closedAt };
    // Since 'approval-close-after-commit', the closing is written only once the decision is in the history
    // (projection-writer.ts says why); earlier runs wrote it from the same workflow task, and replay as they ran.
    if (patched('approval-close-after-commit')) {
      budget.add(EVENTS_PER_ACTIVITY);
      await writes.write(() => committedProjection.recordApprovalClosed(closing));
    } else {
      await writes.write(() => projection.recordApprovalClosed(closing));
    }
    return result;
  };
}
