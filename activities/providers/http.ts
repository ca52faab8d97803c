/**
 * The HTTP provider's send: a request as the node's config (integrations/http-request.ts) says, with an Idempotency-Key
 * header stable across retries, answered by a size-capped response. A 4xx other than 408/429 is permanent.
 */
import { type HttpConfig, httpConfig } from '../../integrations/http-request';
import { FAILURES } from '../../lib/failures';
import { signGeneric } from '../../lib/webhook-signature';
import { permanentFailure, retryableFailure } from '../errors';
import { asText, type Checked, checkConfig } from './checked';
import { agentFor, follow, httpUrl, isRetryableStatus, readCapped } from './transport';

export interface HttpResponseOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  truncated?: boolean;
}

export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** An HTTP call's config, checked as rendered; a method is case-insensitive, header values are text. */
export function checkHttpConfig(raw: Record<string, unknown>, what = 'HTTP request'): Checked<HttpConfig> {
  const headers =
    raw.headers && typeof raw.headers === 'object' && !Array.isArray(raw.headers)
      ? Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, asText(v) ?? '']))
      : raw.headers;
  return checkConfig(what, httpConfig, {
    ...raw,
    url: asText(raw.url),
    method: typeof raw.method === 'string' ? raw.method.toUpperCase() : (raw.method ?? undefined),
    headers: headers ?? undefined,
    expectStatus: raw.expectStatus ?? undefined,
  });
}

export interface HttpSendOptions {
  /** Sent as the Idempotency-Key header (and, when signed, as X-Delivery-Id). */
  idempotencyKey: string;
  /** HTTP_ALLOW_PRIVATE: let the call reach loopback and private addresses. */
  allowPrivate: boolean;
  /** Signs the body the way inbound webhooks are checked (outbound webhooks). */
  signingSecret?: string;
}

export async function sendHttp(config: Checked<HttpConfig>, options: HttpSendOptions): Promise<HttpResponseOutput> {
  const method = config.method ?? 'GET';
  const url = httpUrl(config.url, FAILURES.HttpBadRequest);
  const headers: Record<string, string> = { 'idempotency-key': options.idempotencyKey, 'user-agent': 'graphflow/0.1' };
  for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (config.body !== undefined && config.body !== null && method !== 'GET' && method !== 'HEAD') {
    body = typeof config.body === 'string' ? config.body : JSON.stringify(config.body);
    if (typeof config.body !== 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
  }
  if (options.signingSecret) {
    // Signed the way inbound webhooks are checked: HMAC-SHA256 of `timestamp + "." + body`.
    Object.assign(headers, signGeneric(options.signingSecret, body ?? '', Math.floor(Date.now() / 1000)), {
      'x-delivery-id': options.idempotencyKey,
    });
  }

  const { response, url: answeredBy } = await follow(url, { method, headers, body }, agentFor(options.allowPrivate));
  const { bytes, truncated } = await readCapped(response, MAX_RESPONSE_BYTES);
  const text = bytes.toString('utf8');
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && !truncated) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const output: HttpResponseOutput = {
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: parsed,
    ...(truncated ? { truncated } : {}),
  };

  const expected = config.expectStatus === undefined ? undefined : ([] as number[]).concat(config.expectStatus);
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 400;
  if (ok) return output;
  const message = `${method} ${answeredBy.origin}${answeredBy.pathname} answered ${response.status}${expected ? ` (expected ${expected.join(', ')})` : ''}`;
  if (response.status >= 400 && response.status < 500 && !isRetryableStatus(response.status))
    throw permanentFailure(message, FAILURES.HttpStatusError, output);
  const retryAfter = Number(response.headers.get('retry-after'));
  throw retryableFailure(
    message,
    FAILURES.HttpStatusError,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
  );
}
