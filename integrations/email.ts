/** The email provider's config (sent over SMTP_URL). */
import { z } from 'zod';
import { recipients, template } from './fields';

const attachment = z.union([
  z
    .object({
      documentId: template.describe('a stored document (POST /api/documents); a template'),
      filename: z.string().optional(),
      contentType: z.string().optional(),
    })
    .strict(),
  z
    .object({
      url: template.describe('fetched when sending, through the same address guard as HTTP calls; a template'),
      filename: z.string().optional(),
      contentType: z.string().optional(),
    })
    .strict(),
]);

export const emailConfig = z
  .object({
    to: recipients,
    subject: template,
    text: z.string().optional(),
    html: z.string().optional(),
    attachments: z.array(attachment).max(20).optional(),
  })
  .loose()
  .refine((c) => c.text !== undefined || c.html !== undefined, 'an email needs text or html');

export type EmailConfig = z.infer<typeof emailConfig>;
export type EmailAttachmentSpec = z.infer<typeof attachment>;

export const emailProvider = { provider: 'email', label: 'Email (SMTP)', action: 'send', config: emailConfig } as const;
