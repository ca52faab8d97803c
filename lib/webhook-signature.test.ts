import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { deliveryKeyOf, hmacHex, signGeneric, verifyWebhook, type Verified } from './webhook-signature';

const now = 1_800_000_000_000;
const secs = Math.floor(now / 1000);

describe('webhook signatures', () => {
  it('verifies GitHub with the test vector from its documentation', () => {
    // docs.github.com, "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
    const result = verifyWebhook({
      preset: 'github',
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        'x-github-delivery': 'abc-123',
      },
      raw: Buffer.from('Hello, World!'),
      secrets: ["It's a Secret to Everybody"],
      now,
    });
    expect(result).toMatchObject({ ok: true, deliveryId: 'abc-123', idSigned: false, timestamped: false });
  });

  it('verifies Slack with the example from its documentation, and refuses it as stale today', () => {
    // api.slack.com, "Verifying requests from Slack": the slash-command example.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = {
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    };
    const input = {
      preset: 'slack' as const,
      headers,
      raw: Buffer.from(body),
      secrets: ['8f742231b10e8888abcd99yyyzzz85a5'],
    };
    expect(verifyWebhook({ ...input, now: 1531420618_000 + 10_000 }).ok).toBe(true);
    expect(verifyWebhook({ ...input, now })).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') });
  });

  it("verifies a header made by Stripe's own library (stripe-node's generateTestHeaderString)", () => {
    // Stripe publishes no fixed vector; its SDK's test helper signs exactly as its servers do.
    const payload = '{"id":"evt_from_stripe_node","type":"invoice.paid"}';
    const header = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({
      payload,
      secret: 'whsec_stripe_node',
      timestamp: secs,
    });
    expect(
      verifyWebhook({
        preset: 'stripe',
        headers: { 'stripe-signature': header },
        raw: Buffer.from(payload),
        secrets: ['whsec_stripe_node'],
        now,
      }),
    ).toMatchObject({ ok: true, deliveryId: 'evt_from_stripe_node', idSigned: true });
    expect(
      verifyWebhook({
        preset: 'stripe',
        headers: { 'stripe-signature': header },
        raw: Buffer.from(payload),
        secrets: ['whsec_other'],
        now,
      }).ok,
    ).toBe(false);
  });

  it("verifies Stripe's t=…,v1=… scheme, with any of several v1 signatures", () => {
    const raw = Buffer.from('{"id":"evt_1","type":"charge.succeeded"}');
    const v1 = hmacHex('whsec_test', `${secs}.`, raw);
    const result = verifyWebhook({
      preset: 'stripe',
      headers: { 'stripe-signature': `t=${secs},v1=deadbeef,v1=${v1}` },
      raw,
      secrets: ['whsec_test'],
      now,
    });
    expect(result).toMatchObject({ ok: true, deliveryId: 'evt_1', idSigned: true });
    expect(
      verifyWebhook({
        preset: 'stripe',
        headers: { 'stripe-signature': `t=${secs},v1=${v1}` },
        raw: Buffer.from('{"id":"evt_2"}'),
        secrets: ['whsec_test'],
        now,
      }).ok,
    ).toBe(false);
  });

  it("verifies the platform's own scheme, during a rotation with either secret, and refuses every tampering", () => {
    const raw = Buffer.from('{"asset":"db-01"}');
    const headers = { ...signGeneric('new-secret', raw, secs), 'x-delivery-id': 'd-1' };
    expect(
      verifyWebhook({ preset: 'generic', headers, raw, secrets: ['old-secret', 'new-secret'], now }),
    ).toMatchObject({ ok: true, deliveryId: 'd-1', idSigned: false, timestamped: true });
    const refused = (h: Record<string, string | undefined>, body = raw, secrets = ['new-secret']) =>
      verifyWebhook({ preset: 'generic', headers: h, raw: body, secrets, now });
    expect(refused({ ...headers, 'x-signature': undefined })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('missing'),
    });
    expect(refused(headers, Buffer.from('{"asset":"db-02"}'))).toMatchObject({
      ok: false,
      reason: 'signature does not match',
    });
    expect(refused(headers, raw, ['other'])).toMatchObject({ ok: false });
    const old = signGeneric('new-secret', raw, secs - 360);
    expect(refused(old)).toMatchObject({ ok: false, reason: expect.stringContaining('300 seconds') });
    expect(refused({ ...headers, 'x-signature': 'sha256=00' })).toMatchObject({ ok: false });
  });

  it('refuses a GitHub delivery without its X-GitHub-Delivery header', () => {
    const raw = Buffer.from('{"ref":"main"}');
    const signature = `sha256=${hmacHex('gh', raw)}`;
    expect(
      verifyWebhook({ preset: 'github', headers: { 'x-hub-signature-256': signature }, raw, secrets: ['gh'], now }),
    ).toEqual({ ok: false, reason: 'missing X-GitHub-Delivery header' });
  });

  it('gives a replayed signed request the same fingerprint whatever delivery id it carries, and a swapped id no new name', () => {
    const raw = Buffer.from('{"asset":"db-01"}');
    const signed = signGeneric('s', raw, secs);
    const verify = (id: string | undefined) =>
      verifyWebhook({
        preset: 'generic',
        headers: { ...signed, 'x-delivery-id': id },
        raw,
        secrets: ['s'],
        now,
      }) as Verified;
    expect(verify('a').fingerprint).toBe(verify('b').fingerprint);
    expect(verify(undefined).fingerprint).toBe(verify('a').fingerprint);
    // Another timestamp is another signed request.
    const resigned = verifyWebhook({
      preset: 'generic',
      headers: signGeneric('s', raw, secs + 1),
      raw,
      secrets: ['s'],
      now,
    }) as Verified;
    expect(resigned.fingerprint).not.toBe(verify('a').fingerprint);
    // Without an id the signature names the delivery; GitHub's unsigned header never does.
    expect(deliveryKeyOf(verify(undefined), undefined)).toBe(`sig:${verify(undefined).fingerprint}`);
    expect(deliveryKeyOf(verify('a'), undefined)).toBe('a');
    const gh = verifyWebhook({
      preset: 'github',
      headers: { 'x-hub-signature-256': `sha256=${hmacHex('s', raw)}`, 'x-github-delivery': 'chosen-by-anyone' },
      raw,
      secrets: ['s'],
      now,
    }) as Verified;
    expect(deliveryKeyOf(gh, undefined)).toBe(`sig:${gh.fingerprint}`);
  });

  it('fingerprints the Stripe signature that verified, not the header an attacker can pad', () => {
    const raw = Buffer.from('{"id":"evt_9"}');
    const v1 = hmacHex('whsec', `${secs}.`, raw);
    const plain = verifyWebhook({
      preset: 'stripe',
      headers: { 'stripe-signature': `t=${secs},v1=${v1}` },
      raw,
      secrets: ['whsec'],
      now,
    }) as Verified;
    const padded = verifyWebhook({
      preset: 'stripe',
      headers: { 'stripe-signature': `t=${secs},v1=00,v1=${v1},v0=x` },
      raw,
      secrets: ['whsec'],
      now,
    }) as Verified;
    expect(padded.fingerprint).toBe(plain.fingerprint);
  });
});
