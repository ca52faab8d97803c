/**
 * Inbound webhook signatures. The platform's own scheme is HMAC-SHA256 of
 * `timestamp + "." + raw body`, sent as `X-Signature: sha256=<hex>` with
 * `X-Timestamp` (unix seconds); presets verify GitHub, Stripe and Slack as
 * those services sign. Comparisons are constant-time; timestamps must be
 * within the tolerance; during a rotation, any of the given secrets passes.
 *
 * Which delivery a request is: an id the signature covers (Stripe's event
 * `id`, Slack's `event_id`) is trusted as is. A delivery id sent in a header
 * (`X-Delivery-Id`, `X-GitHub-Delivery`) is not signed, so anyone who saw one
 * signed request could resend it under a new id: the caller also remembers
 * the `fingerprint` of every signature it accepted and treats a fingerprint
 * seen again as the same delivery. GitHub signs no timestamp, so nothing makes
 * its deliveries stale: there the fingerprint alone names the delivery.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_PRESETS = ['generic', 'github', 'stripe', 'slack'] as const;
export type WebhookPreset = (typeof WEBHOOK_PRESETS)[number];

export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface VerifyInput {
  preset: WebhookPreset;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  secrets: string[];
  /** Now, in ms since the epoch. */
  now: number;
  toleranceSeconds?: number;
}

export interface Verified {
  ok: true;
  /** The delivery id the sender gave (a header, or a field of the signed body), if any. */
  deliveryId: string | undefined;
  /** Whether `deliveryId` is covered by the signature (so nobody without the secret could have chosen it). */
  idSigned: boolean;
  /** Whether the signature covers a timestamp (so a replay is refused once it is older than the tolerance). */
  timestamped: boolean;
  /** SHA-256 of the preset and the signature that verified: the same signed request always has the same one. */
  fingerprint: string;
}

export type VerifyResult = Verified | { ok: false; reason: string };

const header = (headers: VerifyInput['headers'], name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export const hmacHex = (secret: string, ...parts: Array<string | Buffer>) => {
  const mac = createHmac('sha256', secret);
  for (const p of parts) mac.update(p);
  return mac.digest('hex');
};

/** Constant-time equality of two hex strings (false for different lengths, without leaking where they differ). */
function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function fresh(timestamp: string | undefined, now: number, tolerance: number): string | undefined {
  if (!timestamp || !/^\d+$/.test(timestamp)) return 'missing or malformed timestamp';
  let seconds = Number(timestamp);
  if (seconds > 1e12) seconds = Math.floor(seconds / 1000);
  if (Math.abs(now / 1000 - seconds) > tolerance) return `timestamp is more than ${tolerance} seconds away from now`;
  return undefined;
}

function jsonField(raw: Buffer, field: string): string | undefined {
  try {
    const value = (JSON.parse(raw.toString('utf8')) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function verifyWebhook(input: VerifyInput): VerifyResult {
  const { headers, raw, secrets, now } = input;
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (secrets.length === 0) return { ok: false, reason: 'no secret is configured for this trigger' };
  /** The given signature that one of the secrets made, if any. */
  const matching = (expected: (secret: string) => string, given: string[]): string | undefined => {
    for (const s of secrets) {
      const want = expected(s);
      const found = given.find((g) => sameHex(want, g));
      if (found) return found;
    }
    return undefined;
  };
  const verified = (
    signature: string,
    deliveryId: string | undefined,
    idSigned: boolean,
    timestamped: boolean,
  ): Verified => ({
    ok: true,
    deliveryId,
    idSigned,
    timestamped,
    fingerprint: createHash('sha256').update(`${input.preset}\u0000${signature}`).digest('hex'),
  });

  switch (input.preset) {
    case 'generic': {
      const signature = header(headers, 'x-signature');
      const timestamp = header(headers, 'x-timestamp');
      if (!signature) return { ok: false, reason: 'missing X-Signature header' };
      const stale = fresh(timestamp, now, tolerance);
      if (stale) return { ok: false, reason: `X-Timestamp: ${stale}` };
      const given = signature.replace(/^sha256=/, '');
      const match = matching((s) => hmacHex(s, `${timestamp}.`, raw), [given]);
      if (!match) return { ok: false, reason: 'signature does not match' };
      return verified(`${timestamp}.${match}`, header(headers, 'x-delivery-id'), false, true);
    }
    case 'github': {
      const signature = header(headers, 'x-hub-signature-256');
      if (!signature?.startsWith('sha256=')) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
      // GitHub always sends it; a request without one did not come from GitHub as it is.
      const deliveryId = header(headers, 'x-github-delivery');
      if (!deliveryId) return { ok: false, reason: 'missing X-GitHub-Delivery header' };
      const match = matching((s) => hmacHex(s, raw), [signature.slice(7)]);
      if (!match) return { ok: false, reason: 'signature does not match' };
      return verified(match, deliveryId, false, false);
    }
    case 'stripe': {
      const signature = header(headers, 'stripe-signature');
      if (!signature) return { ok: false, reason: 'missing Stripe-Signature header' };
      const parts = signature.split(',').map((p) => p.trim().split('=') as [string, string]);
      const t = parts.find(([k]) => k === 't')?.[1];
      const v1 = parts.filter(([k]) => k === 'v1').map(([, v]) => v);
      const stale = fresh(t, now, tolerance);
      if (stale) return { ok: false, reason: `Stripe-Signature t: ${stale}` };
      const match = v1.length ? matching((s) => hmacHex(s, `${t}.`, raw), v1) : undefined;
      if (!match) return { ok: false, reason: 'signature does not match' };
      const eventId = jsonField(raw, 'id');
      return verified(`${t}.${match}`, eventId, eventId !== undefined, true);
    }
    case 'slack': {
      const signature = header(headers, 'x-slack-signature');
      const timestamp = header(headers, 'x-slack-request-timestamp');
      if (!signature?.startsWith('v0=')) return { ok: false, reason: 'missing X-Slack-Signature header' };
      const stale = fresh(timestamp, now, tolerance);
      if (stale) return { ok: false, reason: `X-Slack-Request-Timestamp: ${stale}` };
      const match = matching((s) => hmacHex(s, `v0:${timestamp}:`, raw), [signature.slice(3)]);
      if (!match) return { ok: false, reason: 'signature does not match' };
      const eventId = jsonField(raw, 'event_id');
      return verified(`${timestamp}.${match}`, eventId, eventId !== undefined, true);
    }
  }
}

/** Signs a body the platform's way (for outbound webhooks, and for tests and senders). */
export function signGeneric(
  secret: string,
  body: string | Buffer,
  timestampSeconds: number,
): { 'x-signature': string; 'x-timestamp': string } {
  return {
    'x-signature': `sha256=${hmacHex(secret, `${timestampSeconds}.`, body)}`,
    'x-timestamp': String(timestampSeconds),
  };
}

/**
 * The name a verified delivery is known by (its run id is derived from it): an id the signature covers; else
 * the trigger's own `idempotencyKey` template, rendered from the delivery; else, where the signature carries a
 * timestamp, the header's delivery id (it only has to collapse a sender's re-signed retries: a replay under
 * another id is caught by its fingerprint while the timestamp is fresh); else the signature's fingerprint.
 */
export function deliveryKeyOf(verified: Verified, configuredKey: string | undefined): string {
  if (verified.idSigned && verified.deliveryId) return verified.deliveryId;
  if (configuredKey) return configuredKey;
  if (verified.timestamped && verified.deliveryId) return verified.deliveryId;
  return `sig:${verified.fingerprint}`;
}
