/**
 * The integration catalogue: each provider (one file each under integrations/)
 * with its action and the schema of its config. Validation checks
 * `integration` nodes against it at publish, the provider's send function
 * checks the rendered config against the same schema (activities/providers/),
 * and `GET /api/integrations` serves it as JSON Schema so an editor can build
 * its forms. Adding a provider is a schema file there, a send function, and an
 * entry here.
 */
import type { z } from 'zod';
import { emailProvider } from '../integrations/email';
import { httpProvider } from '../integrations/http-request';
import { slackProvider } from '../integrations/slack';
import { webhookProvider } from '../integrations/webhook';

export interface IntegrationEntry {
  provider: string;
  label: string;
  /** A provider has one action; its name is what the catalogue shows. */
  action: string;
  config: z.ZodType;
}

/** In the order the catalogue lists them. */
export const INTEGRATIONS = [
  httpProvider,
  webhookProvider,
  emailProvider,
  slackProvider,
] as const satisfies readonly IntegrationEntry[];

export type Provider = (typeof INTEGRATIONS)[number]['provider'];
export const PROVIDERS: readonly Provider[] = INTEGRATIONS.map((entry) => entry.provider);

/** The config schema of an `integration` node's provider. */
export function integrationSchema(provider: string): z.ZodType | undefined {
  return INTEGRATIONS.find((entry) => entry.provider === provider)?.config;
}
