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
import type { Db } from '../db/client';
import type { Intent, Ledger } from './ledger';
import { expand } from '../db/payloads';

export interface MessagingConfig {
  smtpUrl: string | undefined;
  smtpFrom: string;
  slackToken: string | undefined;
  slackApiUrl: string | undefined;
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

export function createMessagingActivities(ledger: Ledger, config: MessagingConfig, db: Db) {
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

  return {
    async sendMessage(raw: MessageInput): Promise<{ output: MessageOutput; attempt: number }> {
      const attempt = Context.current().info.attempt;
      const input = (await expand(db, raw.tenantId, raw)) as MessageInput;
      const intent = describe(input);
      if (intent.channel !== 'email' && intent.channel !== 'slack') throw permanentFailure(`unknown channel "${String(intent.channel)}"`, 'BadChannel');
      if (intent.recipients.length === 0) throw permanentFailure(`no recipients for the ${intent.channel} message`, 'NoRecipients');
      const row = await ledger.open(intent);
      if (row.status === 'sent') {
        return { output: { notificationId: row.id, status: 'sent', channel: intent.channel }, attempt };
      }
      try {
        if (intent.channel === 'email') {
          if (!config.smtpUrl) throw permanentFailure('email is not configured: set SMTP_URL (e.g. smtp://user:pass@host:587)', 'EmailNotConfigured');
          // A Message-ID derived from the intent: if a send is repeated after a crash, receivers can tell it is the same message.
          const messageId = `<${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 32)}@graphflow>`;
          try {
            await mailer().sendMail({ from: config.smtpFrom, to: intent.recipients, subject: intent.subject ?? '', text: intent.message ?? '', ...(intent.html ? { html: intent.html } : {}), messageId });
          } catch (error) {
            throw smtpFailure(error);
          }
          const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
          return { output: { notificationId: sent.id, status: 'sent', channel: 'email', messageId }, attempt };
        }
        if (!config.slackToken) throw permanentFailure('Slack is not configured: set SLACK_TOKEN', 'SlackNotConfigured');
        const ts: string[] = [];
        for (const channel of intent.recipients) {
          try {
            const answer = await slackClient().chat.postMessage({
              channel,
              text: intent.message ?? '',
              ...(Array.isArray(intent.blocks) ? { blocks: intent.blocks as never } : {}),
              ...(intent.threadTs ? { thread_ts: intent.threadTs } : {}),
            });
            if (answer.ts) ts.push(answer.ts);
          } catch (error) {
            throw slackFailure(error);
          }
        }
        const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
        return { output: { notificationId: sent.id, status: 'sent', channel: 'slack', ts }, attempt };
      } catch (error) {
        await ledger.attemptFailed(input.tenantId, input.idempotencyKey, (error as Error).message);
        throw error;
      }
    },

    /** Called by the workflow when a send failed for good. */
    async markMessageFailed(input: { tenantId: string; idempotencyKey: string; error: string }): Promise<void> {
      await ledger.failed(input.tenantId, input.idempotencyKey, input.error);
    },
  };
}
