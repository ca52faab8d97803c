/**
 * `notifyApprovers`: asks approvers to decide, with an email holding a signed link for each approver with an
 * address, and a Slack message when the node asks for one. Each message goes through the ledger (one per approver
 * per round), and the approval row counts them. Never fails the approval: what cannot be sent is reported and left.
 */
import { Context } from '@temporalio/activity';
import { and, arrayOverlaps, eq, inArray, or, sql } from 'drizzle-orm';
import { signApprovalLink } from '../db/approval-links';
import type { Db } from '../db/client';
import { users, workflowApprovals } from '../db/schema';
import type { Ledger } from './ledger';
import { type EmailProvider, messageIdFor } from './providers/email';
import type { SlackProvider } from './providers/slack';

export interface NotifyApproversInput {
  tenantId: string;
  runId: string;
  approvalId: string;
  stepKey: string;
  nodeId: string;
  workflowName: string;
  /** `due`: the task falls due soon. */
  kind: 'request' | 'reminder' | 'escalation' | 'due';
  /** Which reminder this is (0 for the request and the escalation): part of each message's intent key. */
  round: number;
  roles: string[];
  users: string[];
  /** People not to ask: those who already voted, and the requester unless self-approval is allowed. */
  excludeUserIds: string[];
  channels: Array<'email' | 'slack'>;
  slackChannel: string | null;
  message: string | null;
  /** The node's outcomes: Slack shows a button for each. */
  outcomes: string[];
  /** The decision fills in a form with required fields: Slack links each approver to the form, not to a choice. */
  formRequired?: boolean;
}

const SUBJECT_PREFIX: Record<NotifyApproversInput['kind'], string> = {
  request: '',
  reminder: 'Reminder: ',
  escalation: 'Escalated: ',
  due: 'Due soon: ',
};

export interface NotifyApproversResult {
  sent: number;
  skipped: string[];
}

export interface ApproverNoticeDeps {
  /** Base of approval links. */
  publicUrl: string;
  email: EmailProvider;
  slack: SlackProvider;
}

export function createApproverNotices(ledger: Ledger, deps: ApproverNoticeDeps, db: Db) {
  const linkFor = async (input: NotifyApproversInput, userId: string) => {
    const token = await signApprovalLink(db, {
      tenantId: input.tenantId,
      runId: input.runId,
      approvalId: input.approvalId,
      userId,
    });
    return `${deps.publicUrl.replace(/\/$/, '')}/approve/${token}`;
  };

  return {
    async notifyApprovers(input: NotifyApproversInput): Promise<NotifyApproversResult> {
      const skipped: string[] = [];
      const people = await db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(
          and(
            eq(users.tenantId, input.tenantId),
            or(
              input.roles.length ? arrayOverlaps(users.roles, input.roles) : sql`false`,
              input.users.length
                ? or(inArray(users.email, input.users), inArray(sql`${users.id}::text`, input.users))
                : sql`false`,
            ),
          ),
        );
      const approvers = people.filter((p) => !input.excludeUserIds.includes(p.id));
      let sent = 0;
      const subject = `${SUBJECT_PREFIX[input.kind]}approval needed for ${input.workflowName}`;
      const intentBase = {
        tenantId: input.tenantId,
        runId: input.runId,
        nodeId: input.nodeId,
        type: `approval.${input.kind}`,
        subject,
      };
      if (input.channels.includes('email')) {
        if (!deps.email.configured) skipped.push('email: SMTP_URL is not set');
        else {
          for (const person of approvers) {
            // A heartbeat per approver: a worker that dies mid-list is noticed in seconds, and the retry skips who was
            // told.
            Context.current().heartbeat();
            const link = await linkFor(input, person.id);
            const key = `${input.runId}:${input.stepKey}:${input.kind}${input.round}:${person.id}`;
            const row = await ledger.open({
              ...intentBase,
              idempotencyKey: key,
              channel: 'email',
              recipients: [person.email],
              message: input.message,
            });
            if (row.status === 'sent') continue;
            try {
              await deps.email.transmit({
                to: person.email,
                subject,
                text: `${input.message ?? 'Your decision is needed.'}\n\nDecide here: ${link}\n\nThe link is for you alone; it stops working once the request is closed.`,
                messageId: messageIdFor(key),
              });
              await ledger.sent(input.tenantId, key);
              sent++;
            } catch (error) {
              await ledger.failed(input.tenantId, key, (error as Error).message);
              skipped.push(`email to ${person.email}: ${(error as Error).message}`);
            }
          }
        }
      }
      if (input.channels.includes('slack') && input.slackChannel) {
        if (!deps.slack.configured) skipped.push('slack: SLACK_TOKEN is not set');
        else {
          const key = `${input.runId}:${input.stepKey}:${input.kind}${input.round}:slack`;
          const text = `${subject}: ${input.message ?? 'your decision is needed'}`;
          // One row of buttons per approver (Slack allows 50 blocks): each leads to that approver's own link page.
          const rows = await Promise.all(
            approvers.slice(0, 20).map(async (person) => {
              const link = await linkFor(input, person.id);
              if (input.formRequired)
                return {
                  type: 'actions',
                  elements: [
                    {
                      type: 'button',
                      text: { type: 'plain_text', text: `Fill in the form (${person.email})`.slice(0, 75) },
                      url: link,
                      style: 'primary',
                    },
                  ],
                };
              return {
                type: 'actions',
                elements: input.outcomes.map((outcome) => ({
                  type: 'button',
                  text: { type: 'plain_text', text: `${outcome.replace(/_/g, ' ')} (${person.email})`.slice(0, 75) },
                  url: `${link}?decision=${encodeURIComponent(outcome)}`,
                  ...(outcome === 'approved'
                    ? { style: 'primary' }
                    : outcome === 'rejected'
                      ? { style: 'danger' }
                      : {}),
                })),
              };
            }),
          );
          const blocks = [{ type: 'section', text: { type: 'mrkdwn', text } }, ...rows];
          const row = await ledger.open({
            ...intentBase,
            idempotencyKey: key,
            channel: 'slack',
            recipients: [input.slackChannel],
            message: text,
          });
          if (row.status !== 'sent') {
            try {
              await deps.slack.post({ channel: input.slackChannel, text, blocks });
              await ledger.sent(input.tenantId, key);
              sent++;
            } catch (error) {
              await ledger.failed(input.tenantId, key, (error as Error).message);
              skipped.push(`slack: ${(error as Error).message}`);
            }
          }
        }
      }
      if (sent > 0)
        await db
          .update(workflowApprovals)
          .set({ notificationsSent: sql`${workflowApprovals.notificationsSent} + ${sent}` })
          .where(and(eq(workflowApprovals.id, input.approvalId), eq(workflowApprovals.tenantId, input.tenantId)));
      return { sent, skipped };
    },
  };
}
