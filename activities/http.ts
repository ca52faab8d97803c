/**
 * HTTP for `action: http`: templated request already rendered by the
 * interpreter, an Idempotency-Key header stable across retries, a size-capped
 * response as the node's output.
 */
import { Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { permanentFailure, retryableFailure } from './errors';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { signGeneric } from '../lib/webhook-signature';
import { expand, offload } from '../db/payloads';
import { fillSecrets, findSecret, type SecretKeys } from '../db/secrets';
import { BlockedAddressError, guardedLookup, refusedAddress } from './address-guard';

export interface HttpRequestInput {
  tenantId: string;
  runId: string;
  idempotencyKey: string;
  /** Outbound webhooks: the name of the secret that signs the body (resolved here, so it never enters history). */
  secretRef?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  body?: unknown;
  expectStatus?: unknown;
}

export interface HttpResponseOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  truncated?: boolean;
}

export const MAX_RESPONSE_BYTES = 1024 * 1024;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

async function readCapped(response: Response): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > MAX_RESPONSE_BYTES) {
      chunks.push(value.subarray(0, MAX_RESPONSE_BYTES - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

export interface HttpDeps {
  db: Db;
  /** HTTP_ALLOW_PRIVATE: let requests reach loopback and private addresses. */
  allowPrivate: boolean;
  secretKeys: SecretKeys;
  /** Response bodies larger than this are stored in PostgreSQL and referenced. */
  maxInlineBytes: number;
}

export function createHttpActivities(deps: HttpDeps) {
  return {
    async httpRequest(raw: HttpRequestInput): Promise<{ output: HttpResponseOutput; attempt: number }> {
      const expanded = (await expand(deps.db, raw.tenantId, raw)) as HttpRequestInput;
      let input: HttpRequestInput;
      try {
        input = (await fillSecrets(deps.db, deps.secretKeys, raw.tenantId, expanded)) as HttpRequestInput;
      } catch (error) {
        throw permanentFailure((error as Error).message, 'SecretMissing');
      }
      let signingSecret: string | undefined;
      if (typeof input.secretRef === 'string') {
        signingSecret = await findSecret(deps.db, deps.secretKeys, raw.tenantId, input.secretRef);
        if (!signingSecret) throw permanentFailure(`the signing secret "${input.secretRef}" is not set (PUT /api/variables/<name> as a secret)`, 'WebhookSecretMissing');
      }
      const { output, attempt } = await request(input, deps.allowPrivate ? undefined : guardedAgent, signingSecret);
      output.body = await offload(deps.db, { tenantId: raw.tenantId, runId: raw.runId, key: `${raw.idempotencyKey}:body` }, output.body, deps.maxInlineBytes);
      return { output, attempt };
    },
  };
}

/** Sockets of this agent resolve names through the guard, so the address checked is the address connected to. */
const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });
const MAX_REDIRECTS = 5;

async function request(input: HttpRequestInput, agent: Agent | undefined, signingSecret: string | undefined): Promise<{ output: HttpResponseOutput; attempt: number }> {
  const attempt = Context.current().info.attempt;
  const method = String(input.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) throw permanentFailure(`unsupported HTTP method "${method}"`, 'HttpBadRequest');
  let url: URL;
  try {
    url = new URL(String(input.url ?? ''));
  } catch {
    throw permanentFailure(`"${String(input.url ?? '')}" is not a URL`, 'HttpBadRequest');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw permanentFailure(`only http and https URLs are allowed, not ${url.protocol}`, 'HttpBadRequest');

  const headers: Record<string, string> = { 'idempotency-key': input.idempotencyKey, 'user-agent': 'graphflow/0.1' };
  if (input.headers && typeof input.headers === 'object') {
    for (const [k, v] of Object.entries(input.headers as Record<string, unknown>)) headers[k.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  let body: string | undefined;
  if (input.body !== undefined && input.body !== null && method !== 'GET' && method !== 'HEAD') {
    body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    if (typeof input.body !== 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
  }
  if (signingSecret) {
    // Signed the way inbound webhooks are checked: HMAC-SHA256 of `timestamp + "." + body`.
    Object.assign(headers, signGeneric(signingSecret, body ?? '', Math.floor(Date.now() / 1000)), { 'x-delivery-id': input.idempotencyKey });
  }

  let response: Response;
  let currentMethod = method;
  let currentBody = body;
  // Redirects are followed here, not by fetch, so every hop is checked like the first.
  for (let hop = 0; ; hop++) {
    if (agent) {
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refusedAddress(literal) : undefined;
      if (refused) throw permanentFailure(`refused: ${refused} (set HTTP_ALLOW_PRIVATE=true to allow private targets)`, 'HttpBlocked');
    }
    try {
      response = (await undiciFetch(url, { method: currentMethod, headers, body: currentBody, redirect: 'manual', signal: Context.current().cancellationSignal, ...(agent ? { dispatcher: agent } : {}) })) as unknown as Response;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof BlockedAddressError) throw permanentFailure(cause.message, 'HttpBlocked');
      throw retryableFailure(`${currentMethod} ${url.origin}${url.pathname} failed: ${cause instanceof Error ? cause.message : (error as Error).message}`, 'HttpConnectionError');
    }
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) break;
    if (hop >= MAX_REDIRECTS) throw permanentFailure(`more than ${MAX_REDIRECTS} redirects from ${input.url}`, 'HttpTooManyRedirects');
    await response.body?.cancel();
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw permanentFailure(`a redirect led to ${url.protocol}, and only http and https are allowed`, 'HttpBadRequest');
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
      currentMethod = 'GET';
      currentBody = undefined;
    }
  }
  const { text, truncated } = await readCapped(response);
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && !truncated) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const output: HttpResponseOutput = { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed, ...(truncated ? { truncated } : {}) };

  const expected = input.expectStatus === undefined ? undefined : ([] as unknown[]).concat(input.expectStatus).map(Number);
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 400;
  if (ok) return { output, attempt };
  const message = `${method} ${url.origin}${url.pathname} answered ${response.status}${expected ? ` (expected ${expected.join(', ')})` : ''}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw permanentFailure(message, 'HttpStatusError', output);
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  throw retryableFailure(message, 'HttpStatusError', Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
}
