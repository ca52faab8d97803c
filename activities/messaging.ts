/**
 * `sendMessage`: the activity behind `notification` nodes (and configured notifications) of channel email or
 * slack, and `integration` nodes of provider email or slack. It fills in secrets, checks the config with its
 * provider's schema, and sends through the provider once per intent (the ledger remembers what was sent).
 */
import { Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { expand } from '../db/payloads';
import { fillSecrets, type FilledSecrets, type SecretKeys } from '../db/secrets';
import { FAILURES } from '../lib/failures';
import type { Redactor } from '../lib/redact';
import { createApproverNotices } from './approver-notices';
import { permanentFailure } from './errors';
import type { WorkScope } from './http';
import type { Intent, Ledger } from './ledger';
import {
  checkEmailConfig,
  createEmailProvider,
  type EmailMessage,
  emailFromNotification,
  emailMessage,
} from './providers/email';
import { checkNotification } from './providers/notification';
import {
  checkSlackConfig,
  createSlackProvider,
  type SlackMessage,
  slackFromNotification,
  slackMessage,
} from './providers/slack';

export { messageIdFor } from './providers/email';
export type { NotifyApproversInput } from './approver-notices';

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

/**
 * A message as the workflow sends it: the node's config as rendered for this run. Values come from templates, so the
 * provider's schema checks them again here;
 * one that does not fit fails as `InvalidConfig`, never retried.
 */
export type MessageInput = WorkScope & {
  nodeId: string;
  kind: 'notification' | 'integration';
  config: Record<string, unknown>;
};

export interface MessageOutput {
  notificationId: string;
  status: 'sent';
  channel: 'email' | 'slack';
  messageId?: string;
  ts?: string[];
  attachments?: Array<{ filename: string; size: number }>;
}

export interface MessageResult {
  output: MessageOutput;
  attempt: number;
}

type Checked = { channel: 'email'; message: EmailMessage } | { channel: 'slack'; message: SlackMessage };

/** The message, checked by its provider's schema (a notification's by the notification schema). */
function checkMessage(input: MessageInput): Checked {
  const { config } = input;
  if (input.kind === 'notification') {
    const notification = checkNotification(config);
    if (notification.channel === 'email') return { channel: 'email', message: emailFromNotification(notification) };
    if (notification.channel === 'slack') return { channel: 'slack', message: slackFromNotification(notification) };
    throw permanentFailure(`the ${notification.channel} channel is not sent by sendMessage`, FAILURES.BadChannel);
  }
  if (config.provider === 'email') return { channel: 'email', message: emailMessage(checkEmailConfig(config)) };
  if (config.provider === 'slack') return { channel: 'slack', message: slackMessage(checkSlackConfig(config)) };
  throw permanentFailure(`unknown channel "${String(config.provider)}"`, FAILURES.BadChannel);
}

/** The ledger's record of the message: written before it is sent. */
function intentOf(input: MessageInput, checked: Checked): Intent {
  const scope = {
    tenantId: input.tenantId,
    runId: input.runId,
    nodeId: input.nodeId,
    idempotencyKey: input.idempotencyKey,
    type: input.kind,
  };
  if (checked.channel === 'email')
    return {
      ...scope,
      channel: 'email',
      recipients: checked.message.to,
      subject: checked.message.subject,
      message: checked.message.text,
    };
  return {
    ...scope,
    channel: 'slack',
    recipients: checked.message.channels,
    subject: checked.message.subject,
    message: checked.message.text,
  };
}

export function createMessagingActivities(ledger: Ledger, config: MessagingConfig, db: Db, secretKeys: SecretKeys) {
  const email = createEmailProvider(
    { smtpUrl: config.smtpUrl, smtpFrom: config.smtpFrom, httpAllowPrivate: config.httpAllowPrivate },
    db,
  );
  const slack = createSlackProvider({ slackToken: config.slackToken, slackApiUrl: config.slackApiUrl });

  /** Sends one message (secrets already filled in) through the ledger, once per intent. */
  async function send(input: MessageInput, attempt: number, redact: Redactor): Promise<MessageResult> {
    const checked = checkMessage(input);
    const intent = intentOf(input, checked);
    if (intent.recipients.length === 0)
      throw permanentFailure(`no recipients for the ${intent.channel} message`, FAILURES.NoRecipients);
    // The notification row is written without the secrets, as people and the API will read it.
    const row = await ledger.open(redact(intent));
    if (row.status === 'sent')
      return { output: { notificationId: row.id, status: 'sent', channel: checked.channel }, attempt };
    try {
      if (checked.channel === 'email') {
        const { messageId, attachments } = await email.send(checked.message, input);
        const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
        return {
          output: {
            notificationId: sent.id,
            status: 'sent',
            channel: 'email',
            messageId,
            ...(attachments.length ? { attachments } : {}),
          },
          attempt,
        };
      }
      const posted = (row.result as { posted?: Record<string, string> } | null)?.posted ?? {};
      const ts = await slack.send(checked.message, posted, (reached) =>
        ledger.progress(input.tenantId, input.idempotencyKey, { posted: reached }),
      );
      const sent = await ledger.sent(input.tenantId, input.idempotencyKey);
      return { output: { notificationId: sent.id, status: 'sent', channel: 'slack', ts }, attempt };
    } catch (error) {
      await ledger.attemptFailed(input.tenantId, input.idempotencyKey, (redact.error(error) as Error).message);
      throw error;
    }
  }

  return {
    async sendMessage(raw: MessageInput): Promise<MessageResult> {
      const attempt = Context.current().info.attempt;
      // Secrets are filled in before stored payloads are expanded, so text from a stored output is never read for
      // markers.
      let filled: FilledSecrets<MessageInput>;
      try {
        filled = await fillSecrets(db, secretKeys, raw.tenantId, raw);
      } catch (error) {
        throw permanentFailure((error as Error).message, FAILURES.SecretMissing);
      }
      try {
        return filled.redact(
          await send((await expand(db, raw.tenantId, filled.value)) as MessageInput, attempt, filled.redact),
        );
      } catch (error) {
        // Nothing that leaves this activity (the failure, the ledger row, the log) may quote a secret it filled in.
        throw filled.redact.error(error);
      }
    },

    ...createApproverNotices(ledger, { publicUrl: config.publicUrl, email, slack }, db),

    /** Called by the workflow when a send failed for good. */
    async markMessageFailed(input: { tenantId: string; idempotencyKey: string; error: string }): Promise<void> {
      await ledger.failed(input.tenantId, input.idempotencyKey, input.error);
    },
  };
}
