/**
 * The outbound webhook provider's send: an HTTP call (POST unless the config says otherwise) whose body is signed
 * with the secret named by `secretRef`, as inbound webhooks are checked, and a delivery id stable across retries.
 */
import type { HttpConfig } from '../../integrations/http-request';
import { webhookConfig } from '../../integrations/webhook';
import { asText, type Checked, checkConfig } from './checked';
import { checkHttpConfig, type HttpResponseOutput, type HttpSendOptions, sendHttp } from './http';

export interface CheckedWebhook {
  /** The call it makes (checked as an HTTP request too: method, headers, expectStatus). */
  request: Checked<HttpConfig>;
  /** The name of the secret that signs; resolved by the activity, so its value never enters history. */
  secretRef: string | undefined;
}

export function checkWebhookConfig(raw: Record<string, unknown>): CheckedWebhook {
  const config = checkConfig('webhook', webhookConfig, {
    ...raw,
    url: asText(raw.url),
    secretRef: raw.secretRef ?? undefined,
  });
  return {
    request: checkHttpConfig({ ...config, method: config.method ?? 'POST' }, 'webhook'),
    secretRef: config.secretRef,
  };
}

/** Sends the call, signed with the secret `secretRef` names (which the caller has resolved) when it names one. */
export async function sendWebhook(
  webhook: CheckedWebhook,
  options: Omit<HttpSendOptions, 'signingSecret'> & { signingSecret: string | undefined },
): Promise<HttpResponseOutput> {
  if (webhook.secretRef !== undefined && !options.signingSecret)
    throw new Error(`the webhook's signing secret "${webhook.secretRef}" was not resolved`);
  const { signingSecret, ...rest } = options;
  return sendHttp(webhook.request, { ...rest, ...(signingSecret ? { signingSecret } : {}) });
}
