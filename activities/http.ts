/**
 * HTTP for `action: http`: templated request already rendered by the
 * interpreter, an Idempotency-Key header stable across retries, a size-capped
 * response as the node's output.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/client';
import { permanentFailure, retryableFailure } from './errors';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { signGeneric } from '../lib/webhook-signature';
import { expand, offload } from '../db/payloads';
import { fillSecrets, findSecret, type FilledSecrets, type SecretKeys } from '../db/secrets';
import { showSecretMarkers } from '../interpreter/secret-refs';
import { redactorFor } from '../lib/redact';
import type { Ledger } from './ledger';
import { BlockedAddressError, guardedLookup, refusedAddress } from './address-guard';

export interface HttpRequestInput {
  tenantId: string;
  runId: string;
  idempotencyKey: string;
  /** The node making the call (recorded with the intent). */
  nodeId?: string;
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

/** Reads at most `limit` bytes of a body; says whether there was more. */
async function readCapped(response: Response, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (!response.body) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { bytes: Buffer.concat(chunks), truncated };
}

export interface HttpDeps {
  db: Db;
  /** HTTP_ALLOW_PRIVATE: let requests reach loopback and private addresses. */
  allowPrivate: boolean;
  secretKeys: SecretKeys;
  /** Response bodies larger than this are stored in PostgreSQL and referenced. */
  maxInlineBytes: number;
}

/** Methods that change nothing by HTTP's own rules: repeating them is harmless, so they skip the ledger. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createHttpActivities(deps: HttpDeps, ledger: Ledger) {
  return {
    async httpRequest(raw: HttpRequestInput): Promise<{ output: HttpResponseOutput; attempt: number }> {
      // Secrets are filled in before stored payloads are expanded, so text from a stored output is never read for markers.
      let filled: FilledSecrets<HttpRequestInput>;
      try {
        filled = await fillSecrets(deps.db, deps.secretKeys, raw.tenantId, raw);
      } catch (error) {
        throw permanentFailure((error as Error).message, 'SecretMissing');
      }
      const input = (await expand(deps.db, raw.tenantId, filled.value)) as HttpRequestInput;
      let signingSecret: string | undefined;
      if (typeof input.secretRef === 'string') {
        signingSecret = await findSecret(deps.db, deps.secretKeys, raw.tenantId, input.secretRef);
        if (!signingSecret) throw permanentFailure(`the signing secret "${input.secretRef}" is not set (PUT /api/variables/<name> as a secret)`, 'WebhookSecretMissing');
      }
      const redact = signingSecret ? redactorFor(new Map([...filled.redact.secrets, [input.secretRef as string, signingSecret]])) : filled.redact;
      // A call that may change something is recorded before it is made; a retry that finds it made returns what it answered.
      const method = String(input.method ?? 'GET').toUpperCase();
      const recorded = !SAFE_METHODS.has(method);
      if (recorded) {
        const target = String(showSecretMarkers(raw.url ?? ''));
        const row = await ledger.open({ tenantId: raw.tenantId, runId: raw.runId, nodeId: raw.nodeId ?? null, idempotencyKey: raw.idempotencyKey, type: 'http.request', channel: signingSecret ? 'webhook' : 'http', recipients: [target], subject: `${method} ${target}`, message: null });
        if (row.status === 'sent' && row.result) return { output: row.result as HttpResponseOutput, attempt: Context.current().info.attempt };
      }
      try {
        const { output, attempt } = await request(input, deps.allowPrivate ? undefined : guardedAgent, signingSecret);
        const safe = redact(output);
        safe.body = await offload(deps.db, { tenantId: raw.tenantId, runId: raw.runId, key: `${raw.idempotencyKey}:body` }, safe.body, deps.maxInlineBytes);
        if (recorded) await ledger.sent(raw.tenantId, raw.idempotencyKey, safe);
        return { output: safe, attempt };
      } catch (thrown) {
        // Nothing that leaves this activity (the failure, the ledger row, the log) may quote a secret it filled in.
        const error = redact.error(thrown);
        if (recorded) {
          const message = (error as Error).message;
          if (error instanceof ApplicationFailure && error.nonRetryable) await ledger.failed(raw.tenantId, raw.idempotencyKey, message);
          else await ledger.attemptFailed(raw.tenantId, raw.idempotencyKey, message);
        }
        throw error;
      }
    },
  };
}

/** `href` as an http or https URL, or a permanent failure of this type saying why it is not one. */
function httpUrl(href: string, type: string): URL {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw permanentFailure(`"${href}" is not a URL`, type);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw permanentFailure(`only http and https URLs are allowed, not ${url.protocol}`, type);
  return url;
}

/** Sockets of this agent resolve names through the guard, so the address checked is the address connected to. */
const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });
const MAX_REDIRECTS = 5;

async function request(input: HttpRequestInput, agent: Agent | undefined, signingSecret: string | undefined): Promise<{ output: HttpResponseOutput; attempt: number }> {
  const attempt = Context.current().info.attempt;
  const method = String(input.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) throw permanentFailure(`unsupported HTTP method "${method}"`, 'HttpBadRequest');
  const url = httpUrl(String(input.url ?? ''), 'HttpBadRequest');

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

  const { response, url: answeredBy } = await follow(url, { method, headers, body }, agent);
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
  const output: HttpResponseOutput = { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed, ...(truncated ? { truncated } : {}) };

  const expected = input.expectStatus === undefined ? undefined : ([] as unknown[]).concat(input.expectStatus).map(Number);
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 400;
  if (ok) return { output, attempt };
  const message = `${method} ${answeredBy.origin}${answeredBy.pathname} answered ${response.status}${expected ? ` (expected ${expected.join(', ')})` : ''}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw permanentFailure(message, 'HttpStatusError', output);
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  throw retryableFailure(message, 'HttpStatusError', Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
}

/**
 * Sends a request and follows redirects by hand (not fetch's way), so every hop is checked like the first:
 * http and https only, and through `agent` the address guard. Answers the last response and its URL.
 */
async function follow(first: URL, init: { method: string; headers: Record<string, string>; body: string | undefined }, agent: Agent | undefined): Promise<{ response: Response; url: URL }> {
  let url = first;
  let currentMethod = init.method;
  let currentBody = init.body;
  for (let hop = 0; ; hop++) {
    if (agent) {
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refusedAddress(literal) : undefined;
      if (refused) throw permanentFailure(`refused: ${refused} (set HTTP_ALLOW_PRIVATE=true to allow private targets)`, 'HttpBlocked');
    }
    let response: Response;
    try {
      response = (await undiciFetch(url, { method: currentMethod, headers: init.headers, body: currentBody, redirect: 'manual', signal: Context.current().cancellationSignal, ...(agent ? { dispatcher: agent } : {}) })) as unknown as Response;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof BlockedAddressError) throw permanentFailure(cause.message, 'HttpBlocked');
      throw retryableFailure(`${currentMethod} ${url.origin}${url.pathname} failed: ${cause instanceof Error ? cause.message : (error as Error).message}`, 'HttpConnectionError');
    }
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, url };
    if (hop >= MAX_REDIRECTS) throw permanentFailure(`more than ${MAX_REDIRECTS} redirects from ${first.href}`, 'HttpTooManyRedirects');
    await response.body?.cancel();
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw permanentFailure(`a redirect led to ${url.protocol}, and only http and https are allowed`, 'HttpBadRequest');
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
      currentMethod = 'GET';
      currentBody = undefined;
    }
  }
}

/** The largest attachment fetched by URL: 10 MiB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Fetches an email attachment by URL, through the same guard and redirect checks as every HTTP call. */
export async function fetchAttachment(href: string, allowPrivate: boolean): Promise<{ content: Buffer; contentType: string | undefined; filename: string | undefined }> {
  const url = httpUrl(href, 'AttachmentBadUrl');
  const { response, url: answeredBy } = await follow(url, { method: 'GET', headers: { 'user-agent': 'graphflow/0.1' }, body: undefined }, allowPrivate ? undefined : guardedAgent);
  if (response.status < 200 || response.status >= 300) {
    await response.body?.cancel();
    const message = `attachment ${answeredBy.origin}${answeredBy.pathname} answered ${response.status}`;
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw retryableFailure(message, 'AttachmentUnavailable');
    throw permanentFailure(message, 'AttachmentUnavailable');
  }
  const { bytes, truncated } = await readCapped(response, MAX_ATTACHMENT_BYTES);
  if (truncated) throw permanentFailure(`attachment ${answeredBy.origin}${answeredBy.pathname} is larger than ${MAX_ATTACHMENT_BYTES} bytes`, 'AttachmentTooLarge');
  const disposition = response.headers.get('content-disposition') ?? '';
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  return {
    content: bytes,
    contentType: response.headers.get('content-type')?.split(';')[0]?.trim() || undefined,
    filename: named ? decodeURIComponent(named) : decodeURIComponent(answeredBy.pathname.split('/').pop() ?? '') || undefined,
  };
}
