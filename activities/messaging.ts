/**
 * Email (nodemailer over SMTP_URL) and Slack (@slack/web-api) for
 * `notification` nodes and `integration` nodes of provider email or slack.
 * Each send goes through the intent ledger, so a retried activity sends once.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ErrorCode, WebClient, type WebAPICallError } from '@slack/web-api';
import nodemailer, { type Transporter } from 'nodemailer';
import { permanentFailure, retryableFailure } from './errors';
import { and, arrayOverlaps, eq, inArray, or, sql } from 'drizzle-orm';
import { signApprovalLink } from '../db/approval-links';
import type { Db } from '../db/client';
import { documents, users, workflowApprovals } from '../db/schema';
import { fetchAttachment } from './http';
import type { Intent, Ledger } from './ledger';
import { expand } from '../db/payloads';
import { fillSecrets, type FilledSecrets, type SecretKeys } from '../db/secrets';
import type { Redactor } from '../lib/redact';

export interface MessagingConfig {
  /** Base of approval links. */
  publicUrl: string;
  /** HTTP_ALLOW_PRIVATE: attachments by URL may come from loopback and private addresses. */
  httpAllowPrivate: boolean;
  smtpUrl: string | undefined;
  smtpFrom: string;
  slackToken: string | undefined;
  slackApiUrl: string | undefined;
}

export interface NotifyApproversInput {
  tenantId: string;
  runId: string;
  approvalId: string;
  stepKey: string;
  nodeId: string;
  workflowName: string;
  kind: 'request' | 'reminder' | 'escalation';
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
}

export interface MessageInput {
  tenantId: string;
  runId: string;
  nodeId: string;
  idempotencyKey: string;
  kind: 'notification' | 'integration';
  config: Record<string, unknown>;
}

export interface MessageOutput {
  notificationId: string;
  status: 'sent';
  channel: 'email' | 'slack';
  messageId?: string;
  ts?: string[];
  attachments?: Array<{ filename: string; size: number }>;
}

interface Attachment {
  filename: string;
  content: Buffer;
  contentType: string | undefined;
}

/** An email's Message-ID, derived from its intent: a send repeated after a crash carries the same one, so receivers can tell. */
export const messageIdFor = (idempotencyKey: string) => `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@graphflow>`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An email's `attachments`: each `{ documentId }` (a stored document) or `{ url }` (fetched through the HTTP guard), with an optional `filename`. */
async function loadAttachments(db: Db, tenantId: string, given: unknown, allowPrivate: boolean): Promise<Attachment[]> {
  if (given === undefined || given === null) return [];
  if (!Array.isArray(given)) throw permanentFailure('attachments must be a list of { documentId } or { url }', 'AttachmentBad');
  const loaded: Attachment[] = [];
  for (const [i, item] of given.entries()) {
    const spec = (item ?? {}) as { documentId?: unknown; url?: unknown; filename?: unknown; contentType?: unknown };
    const filename = typeof spec.filename === 'string' && spec.filename ? spec.filename : undefined;
    const contentType = typeof spec.contentType === 'string' && spec.contentType ? spec.contentType : undefined;
    if (typeof spec.documentId === 'string' && spec.documentId) {
      const document = UUID.test(spec.documentId)
        ? (await db.select().from(documents).where(and(eq(documents.tenantId, tenantId), eq(documents.id, spec.documentId))).limit(1))[0]
        : undefined;
      if (!document) throw permanentFailure(`attachments[${i}]: document "${spec.documentId}" was not found (upload it with POST /api/documents)`, 'AttachmentNotFound');
      loaded.push({ filename: filename ?? document.filename, content: document.content, contentType: contentType ?? document.contentType });
    } else if (typeof spec.url === 'string' && spec.url) {
      const fetched = await fetchAttachment(spec.url, allowPrivate);
      loaded.push({ filename: filename ?? fetched.filename ?? `attachment-${i + 1}`, content: fetched.content, contentType: contentType ?? fetched.contentType });
    } else {
      throw permanentFailure(`attachments[${i}] needs a documentId or a url`, 'AttachmentBad');
    }
  }
  return loaded;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
const text = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** What to send, read from a notification's or an integration's config. */
function describe(input: MessageInput): Intent & { html: string | null; blocks: unknown; threadTs: string | null } {
  const c = input.config;
  const channel = (input.kind === 'notification' ? c.channel : c.provider) as 'email' | 'slack';
  const recipients = input.kind === 'notification' ? list(c.recipients) : channel === 'email' ? list(c.to) : list(c.channel);
  return {
    tenantId: input.tenantId,
    runId: input.runId,
    nodeId: input.nodeId,
    idempotencyKey: input.idempotencyKey,
    type: input.kind,
    channel,
    recipients,
    subject: text(c.subject),
    message: text(input.kind === 'notification' ? c.message : c.text),
    html: text(c.html),
    blocks: c.blocks,
    threadTs: text(c.threadTs ?? c.thread_ts),
  };
}

function smtpFailure(error: unknown): Error {
  const e = error as { responseCode?: number; message?: string; code?: string };
  const message = `SMTP: ${e.message ?? String(error)}`;
  // 5xx is a permanent refusal (unknown mailbox, message refused); 4xx and connection trouble may pass.
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return permanentFailure(message, 'EmailRefused');
  return retryableFailure(message, 'EmailUnavailable');
}

function slackFailure(error: unknown): Error {
  const e = error as WebAPICallError & { retryAfter?: number; data?: { error?: string } };
  if (e.code === ErrorCode.RateLimitedError) return retryableFailure(`Slack rate limited the call; retrying after ${e.retryAfter} s`, 'SlackRateLimited', (e.retryAfter ?? 1) * 1000);
  if (e.code === ErrorCode.PlatformError) return permanentFailure(`Slack refused the message: ${e.data?.error ?? e.message}`, 'SlackRefused');
  return retryableFailure(`Slack: ${e.message}`, 'SlackUnavailable');
}

export function createMessagingActivities(ledger: Ledger, config: MessagingConfig, db: Db, secretKeys: SecretKeys) {
  let transport: Transporter | undefined;
  let slack: WebClient | undefined;
  const mailer = () => (transport ??= nodemailer.createTransport(config.smtpUrl!));
  const slackClient = () =>
    (slack ??= new WebClient(config.slackToken, {
      ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl.endsWith('/') ? config.slackApiUrl : `${config.slackApiUrl}/` } : {}),
      // Temporal's retry policy is the one in charge: no retries inside the client, and a 429 comes back to us.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }));

  /** Sends one message (secrets already filled in) through the ledger, once per intent. */
  async function send(input: MessageInput, attempt: number, redact: Redactor): Promise<{ output: MessageOutput; attempt: number }> {
    const intent = describe(input);
    if (intent.channel !== 'email' && intent.channel !== 'slack') throw permanentFailure(`unknown channel "${String(intent.channel)}"`, 'BadChannel');
    if (intent.recipients.length === 0) throw permanentFailure(`no recipients for the ${intent.channel} message`, 'NoRecipients');
    // The notification row is written without the secrets, as people and the API will read it.
    const row = await ledger.open(redact(intent));
    if (row.status === 'sent') {
      return { output: { notificationId: row.id, status: 'sent', channel: intent.channel }, attempt };
    }
    try {
      if (intent.channel === 'email') {
        if (!config.smtpUrl) throw permanentFailure('email is not configured: set SMTP_URL (e.g. smtp://user:pass@host:587)', 'EmailNotConfigured');
        const messageId = messageIdFor(input.idempotencyKey);
        const attachments = await loadAttachments(db, input.tenantId, input.config.attachments, config.httpAllowPrivate);
        try {
          await mailer().sendMail({ from: config.smtpFrom, to: intent.recipients, subject: intent.subject ?? '', text: intent.message ?? '', ...(intent.html ? { html: intent.html } : {}), messageId, ...(attachments.length ? { attachments } : {}) });
        } catch (error) {
          throw smtpFailure(error);
        }
        const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
        const attached = attachments.map((a) => ({ filename: a.filename, size: a.content.length }));
        return { output: { notificationId: sent.id, status: 'sent', channel: 'email', messageId, ...(attached.length ? { attachments: attached } : {}) }, attempt };
      }
      if (!config.slackToken) throw permanentFailure('Slack is not configured: set SLACK_TOKEN', 'SlackNotConfigured');
      const ts: string[] = [];
      // Channels already posted to by an earlier attempt (a 429 on the third of five): only the rest are posted now.
      const posted = { ...((row.result as { posted?: Record<string, string> } | null)?.posted ?? {}) };
      for (const channel of intent.recipients) {
        if (posted[channel]) {
          ts.push(posted[channel]);
          continue;
        }
        try {
          const answer = await slackClient().chat.postMessage({
            channel,
            text: intent.message ?? '',
            ...(Array.isArray(intent.blocks) ? { blocks: intent.blocks as never } : {}),
            ...(intent.threadTs ? { thread_ts: intent.threadTs } : {}),
          });
          if (answer.ts) ts.push(answer.ts);
          posted[channel] = answer.ts ?? 'posted';
          if (intent.recipients.length > 1) await ledger.progress(input.tenantId, input.idempotencyKey, { posted });
        } catch (error) {
          throw slackFailure(error);
        }
      }
      const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
      return { output: { notificationId: sent.id, status: 'sent', channel: 'slack', ts }, attempt };
    } catch (error) {
      await ledger.attemptFailed(input.tenantId, input.idempotencyKey, (redact.error(error) as Error).message);
      throw error;
    }
  }

  return {
    async sendMessage(raw: MessageInput): Promise<{ output: MessageOutput; attempt: number }> {
      const attempt = Context.current().info.attempt;
      // Secrets are filled in before stored payloads are expanded, so text from a stored output is never read for markers.
      let filled: FilledSecrets<MessageInput>;
      try {
        filled = await fillSecrets(db, secretKeys, raw.tenantId, raw);
      } catch (error) {
        throw permanentFailure((error as Error).message, 'SecretMissing');
      }
      try {
        return filled.redact(await send((await expand(db, raw.tenantId, filled.value)) as MessageInput, attempt, filled.redact));
      } catch (error) {
        // Nothing that leaves this activity (the failure, the ledger row, the log) may quote a secret it filled in.
        throw filled.redact.error(error);
      }
    },

    /**
     * Asks approvers to decide: an email with a signed link for each approver with an address, and a Slack message
     * when the node asks for one. Each message goes through the ledger (one per approver per round), and the
     * approval row counts them. Never fails the approval: what cannot be sent is reported and left.
     */
    async notifyApprovers(input: NotifyApproversInput): Promise<{ sent: number; skipped: string[] }> {
      const skipped: string[] = [];
      const people = await db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(eq(users.tenantId, input.tenantId), or(input.roles.length ? arrayOverlaps(users.roles, input.roles) : sql`false`, input.users.length ? or(inArray(users.email, input.users), inArray(sql`${users.id}::text`, input.users)) : sql`false`)));
      const approvers = people.filter((p) => !input.excludeUserIds.includes(p.id));
      let sent = 0;
      const subject = `${input.kind === 'reminder' ? 'Reminder: ' : input.kind === 'escalation' ? 'Escalated: ' : ''}approval needed for ${input.workflowName}`;
      if (input.channels.includes('email')) {
        if (!config.smtpUrl) skipped.push('email: SMTP_URL is not set');
        else {
          for (const person of approvers) {
            // A heartbeat per approver: a worker that dies mid-list is noticed in seconds, and the retry skips who was told.
            Context.current().heartbeat();
            const token = await signApprovalLink(db, { tenantId: input.tenantId, runId: input.runId, approvalId: input.approvalId, userId: person.id });
            const link = `${config.publicUrl.replace(/\/$/, '')}/approve/${token}`;
            const key = `${input.runId}:${input.stepKey}:${input.kind}${input.round}:${person.id}`;
            const row = await ledger.open({ tenantId: input.tenantId, runId: input.runId, nodeId: input.nodeId, idempotencyKey: key, type: `approval.${input.kind}`, channel: 'email', recipients: [person.email], subject, message: input.message });
            if (row.status === 'sent') continue;
            try {
              await mailer().sendMail({
                from: config.smtpFrom,
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
        if (!config.slackToken) skipped.push('slack: SLACK_TOKEN is not set');
        else {
          const key = `${input.runId}:${input.stepKey}:${input.kind}${input.round}:slack`;
          const text = `${subject}: ${input.message ?? 'your decision is needed'}`;
          // One row of buttons per approver (Slack allows 50 blocks): each leads to that approver's own link page.
          const rows = await Promise.all(
            approvers.slice(0, 20).map(async (person) => {
              const token = await signApprovalLink(db, { tenantId: input.tenantId, runId: input.runId, approvalId: input.approvalId, userId: person.id });
              const link = `${config.publicUrl.replace(/\/$/, '')}/approve/${token}`;
              return {
                type: 'actions',
                elements: input.outcomes.map((outcome) => ({
                  type: 'button',
                  text: { type: 'plain_text', text: `${outcome.replace(/_/g, ' ')} (${person.email})`.slice(0, 75) },
                  url: `${link}?decision=${encodeURIComponent(outcome)}`,
                  ...(outcome === 'approved' ? { style: 'primary' } : outcome === 'rejected' ? { style: 'danger' } : {}),
                })),
              };
            }),
          );
          const blocks = [{ type: 'section', text: { type: 'mrkdwn', text } }, ...rows];
          const row = await ledger.open({ tenantId: input.tenantId, runId: input.runId, nodeId: input.nodeId, idempotencyKey: key, type: `approval.${input.kind}`, channel: 'slack', recipients: [input.slackChannel], subject, message: text });
          if (row.status !== 'sent') {
            try {
              await slackClient().chat.postMessage({ channel: input.slackChannel, text, blocks: blocks as never });
              await ledger.sent(input.tenantId, key);
              sent++;
            } catch (error) {
              await ledger.failed(input.tenantId, key, (error as Error).message);
              skipped.push(`slack: ${(error as Error).message}`);
            }
          }
        }
      }
      if (sent > 0) await db.update(workflowApprovals).set({ notificationsSent: sql`${workflowApprovals.notificationsSent} + ${sent}` }).where(and(eq(workflowApprovals.id, input.approvalId), eq(workflowApprovals.tenantId, input.tenantId)));
      return { sent, skipped };
    },

    /** Called by the workflow when a send failed for good. */
    async markMessageFailed(input: { tenantId: string; idempotencyKey: string; error: string }): Promise<void> {
      await ledger.failed(input.tenantId, input.idempotencyKey, input.error);
    },
  };
}
