/** The outbound webhook provider's config: a signed HTTP call (POST unless told otherwise). */
import { z } from 'zod';
import { httpMethod, template } from './fields';

export const webhookConfig = z
  .object({
    url: template.describe('receiver URL'),
    body: z.unknown().optional(),
    secretRef: z
      .string()
      .min(1)
      .describe('name of the secret that signs: X-Signature = sha256 HMAC of timestamp + "." + body')
      .optional(),
    method: httpMethod.describe('POST unless set').optional(),
  })
  .loose();

export type WebhookConfig = z.infer<typeof webhookConfig>;

export const webhookProvider = {
  provider: 'webhook',
  label: 'Outbound webhook (signed)',
  action: 'send',
  config: webhookConfig,
} as const;
