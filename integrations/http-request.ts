/**
 * The HTTP provider's config (file named for its action, `request`: the lint on interpreter imports refuses a module
 * named `http`).
 */
import { z } from 'zod';
import { httpMethod, template } from './fields';

export const httpConfig = z
  .object({
    url: template.describe('URL (http or https); a template'),
    method: httpMethod.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    expectStatus: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  })
  .loose();

export type HttpConfig = z.infer<typeof httpConfig>;

export const httpProvider = { provider: 'http', label: 'HTTP request', action: 'request', config: httpConfig } as const;
