/**
 * The integration catalogue: each provider's actions and the schema of their
 * config. Validation checks `integration` and `notification` nodes against it
 * at publish, and `GET /api/integrations` serves it (as JSON Schema) so an
 * editor can build its forms. Adding a provider is adding an entry here and
 * an activity for it.
 */
import { z } from 'zod';

const template = z.string().min(1);
const recipients = z.union([z.array(template).min(1), template]);

export const INTEGRATIONS = {
  http: {
    label: 'HTTP request',
    actions: {
      request: z.object({
        url: template.describe('URL (http or https); a template'),
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).optional(),
        headers: z.record(z.string(), z.string()).optional(),
        body: z.unknown().optional(),
        expectStatus: z.union([z.number().int(), z.array(z.number().int())]).optional(),
      }).loose(),
    },
  },
  webhook: {
    label: 'Outbound webhook (signed)',
    actions: {
      send: z.object({
        url: template.describe('receiver URL'),
        body: z.unknown().optional(),
        secretRef: z.string().min(1).describe('name of the secret that signs: X-Signature = sha256 HMAC of timestamp + "." + body').optional(),
      }).loose(),
    },
  },
  email: {
    label: 'Email (SMTP)',
    actions: {
      send: z.object({
        to: recipients,
        subject: template,
        text: z.string().optional(),
        html: z.string().optional(),
        attachments: z
          .array(z.union([
            z.object({ documentId: template.describe('a stored document (POST /api/documents); a template'), filename: z.string().optional(), contentType: z.string().optional() }).strict(),
            z.object({ url: template.describe('fetched when sending, through the same address guard as HTTP calls; a template'), filename: z.string().optional(), contentType: z.string().optional() }).strict(),
          ]))
          .max(20)
          .optional(),
      }).loose().refine((c) => c.text !== undefined || c.html !== undefined, 'an email needs text or html'),
    },
  },
  slack: {
    label: 'Slack message',
    actions: {
      postMessage: z.object({ channel: template, text: template, blocks: z.array(z.unknown()).optional(), threadTs: z.string().optional() }).loose(),
    },
  },
} as const;

export type Provider = keyof typeof INTEGRATIONS;
export const PROVIDERS = Object.keys(INTEGRATIONS) as Provider[];

/** The config schema of an `integration` node's provider (its only action). */
export function integrationSchema(provider: string): z.ZodType | undefined {
  const entry = INTEGRATIONS[provider as Provider];
  return entry ? (Object.values(entry.actions)[0] as z.ZodType) : undefined;
}
