/**
 * JWT sign-in beside API keys, against a key set served on loopback by
 * node:http and keys made here: a good token acts as its user, with the user's
 * roles and tenant; every forged, stale, misdirected or unsigned token is 401;
 * a key set that cannot be fetched is 503; the token is never logged.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ConfigError, loadConfig, type Config } from '../../config';
import { createHarness, type Harness, type TenantFixture } from '../harness';

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'graphflow-api';

let h: Harness;
let jwks: Server;
let jwksBase: string;
let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
let otherTenant: TenantFixture;

/** Serves the key set at /jwks.json, and a broken provider at /broken (500) and /garbage (not JSON). */
async function serveKeySet(): Promise<Server> {
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const server = createServer((request, response) => {
    if (request.url === '/jwks.json')
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    if (request.url === '/garbage')
      return void response.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
    response.writeHead(500).end('down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  [rsa, ec, stranger] = await Promise.all([
    generateKeyPair('RS256'),
    generateKeyPair('ES256'),
    generateKeyPair('RS256'),
  ]);
  jwks = await serveKeySet();
  jwksBase = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  h = await createHarness({
    AUTH_JWKS_URL: `${jwksBase}/jwks.json`,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: `other-app, ${AUDIENCE}`,
  });
  otherTenant = await h.newTenant();
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

interface TokenOptions {
  key?: CryptoKey | Uint8Array;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
  expiresAt?: number | null;
}

/** A token as the provider would make it, unless told otherwise. */
async function token(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID());
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? '10m');
  return jwt.sign(options.key ?? rsa.privateKey);
}

const asAdmin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  h.api(h.tenant.adminKey, { method, url, ...(payload ? { payload } : {}) });

async function newUser(roles: string[], tenant: TenantFixture = h.tenant, email = `u-${randomUUID()}@example.com`) {
  const created = await h.api(tenant.adminKey, {
    method: 'POST',
    url: '/api/users',
    payload: { email, name: 'Signed In', roles },
  });
  expect(created.statusCode).toBe(201);
  return created.json() as { id: string; email: string };
}

const listWorkflows = (bearer: string) => h.api(bearer, { method: 'GET', url: '/api/workflows?limit=5' });
const createWorkflow = (bearer: string) =>
  h.api(bearer, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name: `w-${randomUUID()}`, definition: { nodes: [], edges: [] } },
  });

function expectRefused(response: Awaited<ReturnType<typeof listWorkflows>>, detail: RegExp) {
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json().detail).toMatch(detail);
}

describe('JWT sign-in', () => {
  it("accepts a valid token as its user, with the user's roles", async () => {
    const viewer = await newUser(['viewer']);
    const bearer = await token({ sub: 'idp|viewer', email: viewer.email });
    expect((await listWorkflows(bearer)).statusCode).toBe(200);
    expect((await createWorkflow(bearer)).statusCode).toBe(403);
    expect((await h.api(bearer, { method: 'GET', url: '/api/users' })).statusCode).toBe(403);

    await asAdmin('PATCH', `/api/users/${viewer.id}`, { roles: ['editor'] });
    const created = await createWorkflow(bearer);
    expect(created.statusCode).toBe(201);
    // The workflow lands in the user's own tenant.
    expect((await asAdmin('GET', `/api/workflows/${created.json().id}`)).statusCode).toBe(200);
  });

  it('matches the email without regard to case, or the sub to a user id, and accepts ES256', async () => {
    const editor = await newUser(['editor']);
    expect((await createWorkflow(await token({ email: editor.email.toUpperCase() }))).statusCode).toBe(201);
    expect((await createWorkflow(await token({ sub: editor.id }))).statusCode).toBe(201);
    expect(
      (await createWorkflow(await token({ sub: editor.id }, { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' })))
        .statusCode,
    ).toBe(201);
  });

  it('keeps API keys working beside tokens', async () => {
    expect((await listWorkflows(h.tenant.adminKey)).statusCode).toBe(200);
  });

  it('refuses a token from another issuer', async () => {
    const user = await newUser(['admin']);
    expectRefused(
      await listWorkflows(await token({ email: user.email }, { issuer: 'https://evil.example.test/' })),
      /iss/,
    );
  });

  it('refuses a token for another audience', async () => {
    const user = await newUser(['admin']);
    expectRefused(await listWorkflows(await token({ email: user.email }, { audience: 'some-other-api' })), /aud/);
  });

  it('refuses an expired token', async () => {
    const user = await newUser(['admin']);
    const expired = await token({ email: user.email }, { expiresAt: Math.floor(Date.now() / 1000) - 120 });
    expectRefused(await listWorkflows(expired), /expired/);
  });

  it('refuses a token without an expiry', async () => {
    const user = await newUser(['admin']);
    expectRefused(await listWorkflows(await token({ email: user.email }, { expiresAt: null })), /exp/);
  });

  it("refuses a token signed by another key, with or without the provider's key id", async () => {
    const user = await newUser(['admin']);
    expectRefused(await listWorkflows(await token({ email: user.email }, { key: stranger.privateKey })), /signature/);
    expectRefused(
      await listWorkflows(await token({ email: user.email }, { key: stranger.privateKey, kid: 'stranger' })),
      /signature/,
    );
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const user = await newUser(['admin']);
    const unsigned = new UnsecuredJWT({ email: user.email })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .encode();
    expect(unsigned.endsWith('.')).toBe(true);
    expectRefused(await listWorkflows(unsigned), /algorithm/);
  });

  it("refuses an HS256 token signed with the provider's public key (algorithm confusion)", async () => {
    const user = await newUser(['admin']);
    const publicKeyAsSecret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const confused = await token({ email: user.email }, { alg: 'HS256', key: publicKeyAsSecret });
    expectRefused(await listWorkflows(confused), /algorithm/);
  });

  it('refuses a token whose email is unknown', async () => {
    expectRefused(
      await listWorkflows(await token({ sub: 'idp|nobody', email: `nobody-${randomUUID()}@example.com` })),
      /No user/,
    );
  });

  it('refuses an email the provider says is unverified', async () => {
    const user = await newUser(['admin']);
    expectRefused(await listWorkflows(await token({ email: user.email, email_verified: false })), /names no user/);
  });

  it('refuses claims no query can hold (NUL, lone surrogate) with 401, not 500', async () => {
    expectRefused(await listWorkflows(await token({ email: 'a\u0000b@example.com' })), /email/);
    expectRefused(await listWorkflows(await token({ email: '\ud800@example.com' })), /email/);
  });

  it("refuses a deactivated user's token (PATCH active:false), and takes it back on reactivation", async () => {
    const user = await newUser(['operator']);
    const bearer = await token({ email: user.email });
    expect((await listWorkflows(bearer)).statusCode).toBe(200);
    expect((await asAdmin('PATCH', `/api/users/${user.id}`, { active: false })).statusCode).toBe(200);
    expectRefused(await listWorkflows(bearer), /deactivated/);
    await asAdmin('PATCH', `/api/users/${user.id}`, { active: true });
    expect((await listWorkflows(bearer)).statusCode).toBe(200);
  });

  it("refuses a deleted user's token (DELETE /api/users/:id)", async () => {
    const user = await newUser(['operator']);
    const bearer = await token({ sub: user.id });
    expect((await listWorkflows(bearer)).statusCode).toBe(200);
    expect((await asAdmin('DELETE', `/api/users/${user.id}`)).statusCode).toBe(204);
    expectRefused(await listWorkflows(bearer), /deactivated/);
  });

  it("keeps another tenant's data 404 to a signed-in user", async () => {
    const theirs = await h.api(otherTenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'theirs', definition: { nodes: [], edges: [] } },
    });
    expect(theirs.statusCode).toBe(201);
    const mine = await newUser(['admin']);
    const bearer = await token({ email: mine.email, tenant: otherTenant.tenantId });
    // A `tenant` claim names a tenant; it cannot carry a user into a tenant they are not a user of.
    expectRefused(await listWorkflows(bearer), /No user/);
    const inOwnTenant = await token({ email: mine.email });
    expect((await h.api(inOwnTenant, { method: 'GET', url: `/api/workflows/${theirs.json().id}` })).statusCode).toBe(
      404,
    );
    const listed = (await listWorkflows(inOwnTenant)).json().items as Array<{ id: string }>;
    expect(listed.map((w) => w.id)).not.toContain(theirs.json().id);
  });

  it('refuses an email known in two tenants as ambiguous, unless a tenant claim picks one', async () => {
    const email = `both-${randomUUID()}@example.com`;
    await newUser(['viewer'], h.tenant, email);
    await newUser(['editor'], otherTenant, email);
    expectRefused(await listWorkflows(await token({ email })), /ambiguous/);
    const inOther = await token({ email, tenant: otherTenant.tenantId });
    const created = await createWorkflow(inOther);
    expect(created.statusCode).toBe(201);
    expect(
      (await h.api(otherTenant.adminKey, { method: 'GET', url: `/api/workflows/${created.json().id}` })).statusCode,
    ).toBe(200);
    expect((await createWorkflow(await token({ email, tenant: h.tenant.tenantId }))).statusCode).toBe(403);
  });
});

describe('JWT sign-in: the provider and the configuration', () => {
  /** Another API on the same database and Temporal, configured otherwise. */
  async function appWith(config: Partial<Config>, logStream?: { write(line: string): void }) {
    return buildApp({
      config: { ...h.config, ...config },
      database: h.database,
      temporal: h.temporal,
      ...(logStream ? { logStream } : { logger: false }),
    });
  }

  it('answers 503 with Retry-After when the key set cannot be fetched (refused, 500, not JSON)', async () => {
    const user = await newUser(['admin']);
    const bearer = await token({ email: user.email });
    for (const jwksUrl of [
      `http://127.0.0.1:${await closedPort()}/jwks.json`,
      `${jwksBase}/broken`,
      `${jwksBase}/garbage`,
    ]) {
      const app = await appWith({ jwtSignIn: { jwksUrl, issuer: ISSUER, audience: [AUDIENCE] } });
      try {
        const response = await app.inject({
          method: 'GET',
          url: '/api/workflows',
          headers: { authorization: `Bearer ${bearer}` },
        });
        expect(response.statusCode, jwksUrl).toBe(503);
        expect(response.headers['retry-after']).toBeDefined();
        expect(response.json()).toMatchObject({
          type: 'https://graphflow.dev/problems/identity-provider-unavailable',
          unavailable: 'identity_provider_unavailable',
        });
        // API keys do not depend on the provider.
        expect(
          (
            await app.inject({
              method: 'GET',
              url: '/api/workflows',
              headers: { authorization: `Bearer ${h.tenant.adminKey}` },
            })
          ).statusCode,
        ).toBe(200);
      } finally {
        await app.close();
      }
    }
  });

  it('refuses a JWT like an unknown key when JWT sign-in is not configured', async () => {
    const user = await newUser(['admin']);
    const app = await appWith({ jwtSignIn: undefined });
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/api/workflows',
        headers: { authorization: `Bearer ${await token({ email: user.email })}` },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json().detail).toBe('This API key is unknown or has been revoked.');
    } finally {
      await app.close();
    }
  });

  it('never writes a token to the log, good, bad, or with the provider away', async () => {
    const lines: string[] = [];
    const logStream = { write: (line: string) => void lines.push(line) };
    const user = await newUser(['admin']);
    const good = await token({ email: user.email });
    const forged = await token({ email: user.email }, { key: stranger.privateKey });
    const config = {
      logLevel: 'trace',
      jwtSignIn: { jwksUrl: `${jwksBase}/jwks.json`, issuer: ISSUER, audience: [AUDIENCE] },
    };
    const away = {
      ...config,
      jwtSignIn: { ...config.jwtSignIn, jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks.json` },
    };
    for (const [settings, bearer, status] of [
      [config, good, 200],
      [config, forged, 401],
      [away, good, 503],
    ] as const) {
      const app = await appWith(settings, logStream);
      try {
        expect(
          (await app.inject({ method: 'GET', url: '/api/workflows', headers: { authorization: `Bearer ${bearer}` } }))
            .statusCode,
        ).toBe(status);
      } finally {
        await app.close();
      }
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((line) => line.includes('AUTH_JWKS_URL'))).toBe(true);
    for (const bearer of [good, forged]) {
      const [, payload, signature] = bearer.split('.');
      expect(lines.filter((line) => line.includes(payload!) || line.includes(signature!))).toEqual([]);
    }
  });

  it('needs AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE together, and an http(s) key set URL', () => {
    const base = { TEMPORAL_ADDRESS: '127.0.0.1:7233' };
    const onlyKeySet = () => loadConfig({ ...base, AUTH_JWKS_URL: 'https://id.example.test/jwks.json' });
    expect(onlyKeySet).toThrow(ConfigError);
    expect(onlyKeySet).toThrow(/AUTH_ISSUER: missing[\s\S]*AUTH_AUDIENCE: missing/);
    expect(() =>
      loadConfig({ ...base, AUTH_JWKS_URL: 'file:///etc/jwks.json', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }),
    ).toThrow(/AUTH_JWKS_URL: must be an http/);
    expect(loadConfig(base).jwtSignIn).toBeUndefined();
    expect(
      loadConfig({
        ...base,
        AUTH_JWKS_URL: 'https://id.example.test/jwks.json',
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: 'a, b',
      }).jwtSignIn,
    ).toEqual({ jwksUrl: 'https://id.example.test/jwks.json', issuer: ISSUER, audience: ['a', 'b'] });
  });
});
