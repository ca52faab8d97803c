/**
 * The email provider's send, over SMTP_URL with nodemailer: a message checked against its schema
 * (integrations/email.ts), or a notification's, with attachments loaded from stored documents or fetched by URL
 * through the address guard. A 5xx from the SMTP server is permanent; connection trouble and 4xx may pass.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../../db/client';
import { documents } from '../../db/schema';
import { type EmailAttachmentSpec, type EmailConfig, emailConfig } from '../../integrations/email';
import { FAILURES } from '../../lib/failures';
import { permanentFailure, retryableFailure } from '../errors';
import { addressList, asText, asTextList, type Checked, checkConfig, derivedFrom } from './checked';
import type { CheckedNotification } from './notification';
import { agentFor, follow, httpUrl, isRetryableStatus, readCapped } from './transport';

export interface EmailSettings {
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** HTTP_ALLOW_PRIVATE: attachments by URL may come from loopback and private addresses. */
  httpAllowPrivate: boolean;
}

/** What an email says, from a checked config: only the two builders below make one. */
export type EmailMessage = Checked<{
  to: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: EmailAttachmentSpec[];
}>;

/** An `integration` node's email config, checked as rendered. */
export function checkEmailConfig(raw: Record<string, unknown>): Checked<EmailConfig> {
  return checkConfig('email', emailConfig, {
    ...raw,
    to: asTextList(raw.to),
    subject: asText(raw.subject),
    text: asText(raw.text),
    html: asText(raw.html),
    attachments: raw.attachments ?? undefined,
  });
}

export function emailMessage(config: Checked<EmailConfig>): EmailMessage {
  return derivedFrom(config, {
    to: addressList(config.to),
    subject: config.subject,
    text: config.text ?? null,
    html: config.html ?? null,
    attachments: config.attachments ?? [],
  });
}

export function emailFromNotification(notification: CheckedNotification): EmailMessage {
  return derivedFrom(notification, {
    to: addressList(notification.recipients),
    subject: notification.subject ?? null,
    text: notification.message,
    html: null,
    attachments: [],
  });
}

/**
 * An email's Message-ID, derived from its intent: a send repeated after a crash carries the same one, so receivers can
 * tell.
 */
export const messageIdFor = (idempotencyKey: string) =>
  `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@graphflow>`;

interface Attachment {
  filename: string;
  content: Buffer;
  contentType: string | undefined;
}

export interface OutgoingEmail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: Attachment[];
  messageId: string;
}

function smtpFailure(error: unknown): Error {
  const e = error as { responseCode?: number; message?: string };
  const message = `SMTP: ${e.message ?? String(error)}`;
  // 5xx is a permanent refusal (unknown mailbox, message refused); 4xx and connection trouble may pass.
  if (typeof e.responseCode === 'number' && e.responseCode >= 500)
    return permanentFailure(message, FAILURES.EmailRefused);
  return retryableFailure(message, FAILURES.EmailUnavailable);
}

export function createEmailProvider(settings: EmailSettings, db: Db) {
  let transport: Transporter | undefined;
  const configured = settings.smtpUrl !== undefined && settings.smtpUrl !== '';

  /** Hands one email to the SMTP server; a failure says whether another attempt may pass. */
  async function transmit(mail: OutgoingEmail): Promise<void> {
    if (!configured)
      throw permanentFailure(
        'email is not configured: set SMTP_URL (e.g. smtp://user:pass@host:587)',
        FAILURES.EmailNotConfigured,
      );
    transport ??= nodemailer.createTransport(settings.smtpUrl);
    try {
      await transport.sendMail({ from: settings.smtpFrom, ...mail });
    } catch (error) {
      throw smtpFailure(error);
    }
  }

  return {
    configured,
    transmit,
    /** Sends a checked message; answers its Message-ID and what was attached. */
    async send(
      message: EmailMessage,
      scope: { tenantId: string; idempotencyKey: string },
    ): Promise<{ messageId: string; attachments: Array<{ filename: string; size: number }> }> {
      // Checked before attachments are fetched: a mail that cannot go out fetches nothing.
      if (!configured)
        throw permanentFailure(
          'email is not configured: set SMTP_URL (e.g. smtp://user:pass@host:587)',
          FAILURES.EmailNotConfigured,
        );
      const messageId = messageIdFor(scope.idempotencyKey);
      const attachments = await loadAttachments(db, scope.tenantId, message.attachments, settings.httpAllowPrivate);
      await transmit({
        to: message.to,
        subject: message.subject ?? '',
        text: message.text ?? '',
        ...(message.html ? { html: message.html } : {}),
        messageId,
        ...(attachments.length ? { attachments } : {}),
      });
      return { messageId, attachments: attachments.map((a) => ({ filename: a.filename, size: a.content.length })) };
    },
  };
}

export type EmailProvider = ReturnType<typeof createEmailProvider>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An email's attachments: each a stored document or a URL fetched through the HTTP guard. */
async function loadAttachments(
  db: Db,
  tenantId: string,
  specs: EmailAttachmentSpec[],
  allowPrivate: boolean,
): Promise<Attachment[]> {
  const loaded: Attachment[] = [];
  for (const [i, spec] of specs.entries()) {
    if ('documentId' in spec) {
      const document = UUID.test(spec.documentId)
        ? (
            await db
              .select()
              .from(documents)
              .where(and(eq(documents.tenantId, tenantId), eq(documents.id, spec.documentId)))
              .limit(1)
          )[0]
        : undefined;
      if (!document)
        throw permanentFailure(
          `attachments[${i}]: document "${spec.documentId}" was not found (upload it with POST /api/documents)`,
          FAILURES.AttachmentNotFound,
        );
      loaded.push({
        filename: spec.filename || document.filename,
        content: document.content,
        contentType: spec.contentType || document.contentType,
      });
    } else {
      const fetched = await fetchAttachment(spec.url, allowPrivate);
      loaded.push({
        filename: spec.filename || fetched.filename || `attachment-${i + 1}`,
        content: fetched.content,
        contentType: spec.contentType || fetched.contentType,
      });
    }
  }
  return loaded;
}

/** The largest attachment fetched by URL: 10 MiB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Fetches an email attachment by URL, through the same guard and redirect checks as every HTTP call. */
async function fetchAttachment(
  href: string,
  allowPrivate: boolean,
): Promise<{ content: Buffer; contentType: string | undefined; filename: string | undefined }> {
  const url = httpUrl(href, FAILURES.AttachmentBadUrl);
  const { response, url: answeredBy } = await follow(
    url,
    { method: 'GET', headers: { 'user-agent': 'graphflow/0.1' }, body: undefined },
    agentFor(allowPrivate),
  );
  if (response.status < 200 || response.status >= 300) {
    await response.body?.cancel();
    const message = `attachment ${answeredBy.origin}${answeredBy.pathname} answered ${response.status}`;
    if (isRetryableStatus(response.status)) throw retryableFailure(message, FAILURES.AttachmentUnavailable);
    throw permanentFailure(message, FAILURES.AttachmentUnavailable);
  }
  const { bytes, truncated } = await readCapped(response, MAX_ATTACHMENT_BYTES);
  if (truncated)
    throw permanentFailure(
      `attachment ${answeredBy.origin}${answeredBy.pathname} is larger than ${MAX_ATTACHMENT_BYTES} bytes`,
      FAILURES.AttachmentTooLarge,
    );
  const disposition = response.headers.get('content-disposition') ?? '';
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  return {
    content: bytes,
    contentType: response.headers.get('content-type')?.split(';')[0]?.trim() || undefined,
    filename: named
      ? decodeURIComponent(named)
      : decodeURIComponent(answeredBy.pathname.split('/').pop() ?? '') || undefined,
  };
}
