/**
 * Inbound webhook signatures. The platform's own scheme is HMAC-SHA256 of
 * `timestamp + "." + raw body`, sent as `X-Signature: sha256=<hex>` with
 * `X-Timestamp` (unix seconds); presets verify GitHub, Stripe and Slack as
 * those services sign. Comparisons are constant-time; timestamps must be
 * within the tolerance; during a rotation, any of the given secrets passes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

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

export type VerifyResult = { ok: true; deliveryId: string | undefined } | { ok: false; reason: string };

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
  const anySecret = (expected: (secret: string) => string, given: string[]) => secrets.some((s) => given.some((g) => sameHex(expected(s), g)));

  switch (input.preset) {
    case 'generic': {
      const signature = header(headers, 'x-signature');
      const timestamp = header(headers, 'x-timestamp');
      if (!signature) return { ok: false, reason: 'missing X-Signature header' };
      const stale = fresh(timestamp, now, tolerance);
      if (stale) return { ok: false, reason: `X-Timestamp: ${stale}` };
      const given = signature.replace(/^sha256=/, '');
      if (!anySecret((s) => hmacHex(s, `${timestamp}.`, raw), [given])) return { ok: false, reason: 'signature does not match' };
      return { ok: true, deliveryId: header(headers, 'x-delivery-id') };
    }
    case 'github': {
      const signature = header(headers, 'x-hub-signature-256');
      if (!signature?.startsWith('sha256=')) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
      if (!anySecret((s) => hmacHex(s, raw), [signature.slice(7)])) return { ok: false, reason: 'signature does not match' };
      return { ok: true, deliveryId: header(headers, 'x-github-delivery') };
    }
    case 'stripe': {
      const signature = header(headers, 'stripe-signature');
      if (!signature) return { ok: false, reason: 'missing Stripe-Signature header' };
      const parts = signature.split(',').map((p) => p.trim().split('=') as [string, string]);
      const t = parts.find(([k]) => k === 't')?.[1];
      const v1 = parts.filter(([k]) => k === 'v1').map(([, v]) => v);
      const stale = fresh(t, now, tolerance);
      if (stale) return { ok: false, reason: `Stripe-Signature t: ${stale}` };
      if (v1.length === 0 || !anySecret((s) => hmacHex(s, `${t}.`, raw), v1)) return { ok: false, reason: 'signature does not match' };
      return { ok: true, deliveryId: jsonField(raw, 'id') };
    }
    case 'slack': {
      const signature = header(headers, 'x-slack-signature');
      const timestamp = header(headers, 'x-slack-request-timestamp');
      if (!signature?.startsWith('v0=')) return { ok: false, reason: 'missing X-Slack-Signature header' };
      const stale = fresh(timestamp, now, tolerance);
      if (stale) return { ok: false, reason: `X-Slack-Request-Timestamp: ${stale}` };
      if (!anySecret((s) => hmacHex(s, `v0:${timestamp}:`, raw), [signature.slice(3)])) return { ok: false, reason: 'signature does not match' };
      return { ok: true, deliveryId: jsonField(raw, 'event_id') };
    }
  }
}

/** Signs a body the platform's way (for outbound webhooks, and for tests and senders). */
export function signGeneric(secret: string, body: string | Buffer, timestampSeconds: number): { 'x-signature': string; 'x-timestamp': string } {
  return { 'x-signature': `sha256=${hmacHex(secret, `${timestampSeconds}.`, body)}`, 'x-timestamp': String(timestampSeconds) };
}
