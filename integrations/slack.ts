/** The Slack provider's config (posted with SLACK_TOKEN). */
import { z } from 'zod';
import { template } from './fields';

export const slackConfig = z
  .object({
    channel: template,
    text: template,
    blocks: z.array(z.unknown()).optional(),
    threadTs: z.string().optional(),
  })
  .loose();

export type SlackConfig = z.infer<typeof slackConfig>;

export const slackProvider = {
  provider: 'slack',
  label: 'Slack message',
  action: 'postMessage',
  config: slackConfig,
} as const;
