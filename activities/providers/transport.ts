/**
 * Outbound HTTP for every provider that fetches or calls (HTTP, webhooks, email attachments by URL): http and
 * https only, redirects followed by hand so each hop passes the address guard, bodies read up to a cap.
 */
import { isIP } from 'node:net';
import { Context } from '@temporalio/activity';
import { Agent, fetch as undiciFetch } from 'undici';
import { FAILURES, type PermanentFailureKind } from '../../lib/failures';
import { BlockedAddressError, guardedLookup, refusedAddress } from '../address-guard';
import { permanentFailure, retryableFailure } from '../errors';

/** Reads at most `limit` bytes of a body; says whether there was more. */
export async function readCapped(response: Response, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
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

/** `href` as an http or https URL, or a permanent failure of this kind saying why it is not one. */
export function httpUrl(href: string, failure: PermanentFailureKind): URL {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw permanentFailure(`"${href}" is not a URL`, failure);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw permanentFailure(`only http and https URLs are allowed, not ${url.protocol}`, failure);
  return url;
}

/** Sockets of this agent resolve names through the guard, so the address checked is the address connected to. */
const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });
/** The agent for a call: the guard's, unless HTTP_ALLOW_PRIVATE lets calls reach private addresses. */
export const agentFor = (allowPrivate: boolean): Agent | undefined => (allowPrivate ? undefined : guardedAgent);

const MAX_REDIRECTS = 5;

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Sends a request and follows redirects by hand (not fetch's way), so every hop is checked like the first:
 * http and https only, and through `agent` the address guard. Answers the last response and its URL.
 */
export async function follow(
  first: URL,
  init: OutboundRequest,
  agent: Agent | undefined,
): Promise<{ response: Response; url: URL }> {
  let url = first;
  let currentMethod = init.method;
  let currentBody = init.body;
  for (let hop = 0; ; hop++) {
    if (agent) {
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refusedAddress(literal) : undefined;
      if (refused)
        throw permanentFailure(
          `refused: ${refused} (set HTTP_ALLOW_PRIVATE=true to allow private targets)`,
          FAILURES.HttpBlocked,
        );
    }
    let response: Response;
    try {
      response = (await undiciFetch(url, {
        method: currentMethod,
        headers: init.headers,
        body: currentBody,
        redirect: 'manual',
        signal: Context.current().cancellationSignal,
        ...(agent ? { dispatcher: agent } : {}),
      })) as unknown as Response;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof BlockedAddressError) throw permanentFailure(cause.message, FAILURES.HttpBlocked);
      throw retryableFailure(
        `${currentMethod} ${url.origin}${url.pathname} failed: ${cause instanceof Error ? cause.message : (error as Error).message}`,
        FAILURES.HttpConnectionError,
      );
    }
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, url };
    if (hop >= MAX_REDIRECTS)
      throw permanentFailure(`more than ${MAX_REDIRECTS} redirects from ${first.href}`, FAILURES.HttpTooManyRedirects);
    await response.body?.cancel();
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw permanentFailure(
        `a redirect led to ${url.protocol}, and only http and https are allowed`,
        FAILURES.HttpBadRequest,
      );
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
      currentMethod = 'GET';
      currentBody = undefined;
    }
  }
}

/** Whether a status is worth asking again for: 408, 429 and 5xx. Other 4xx are the request's fault. */
export const isRetryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;
