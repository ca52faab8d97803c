/**
 * A notification's config: a `notification` node's (interpreter/node-model.ts checks the same fields at publish)
 * and a `configuration.notifications` entry's. Its channel picks the provider that sends it.
 */
import { z } from 'zod';
import { recipients, template } from './fields';

export const notificationConfig = z
  .object({
    channel: z.enum(['email', 'slack', 'webhook']),
    recipients,
    subject: template.optional(),
    message: template,
  })
  .loose();

export type NotificationConfig = z.infer<typeof notificationConfig>;
