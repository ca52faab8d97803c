/**
 * The console's sign-in takes a JWT from the identity provider as well as an API key: the same field, the same
 * `Authorization: Bearer` header, verified against AUTH_JWKS_URL (a key set served on loopback, keys made here).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'graphflow-console';

let h: Harness;
let jwks: Server;
let browser: Browser;
let base: string;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  keys = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'console-1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_request, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  h = await createHarness({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

/** A token for the tenant's admin (`admin@example.com`), naming the tenant: several test tenants share the email. */
const tokenFor = (tenantId: string, key = keys.privateKey) =>
  new SignJWT({ email: 'admin@example.com', tenant: tenantId })
    .setProtectedHeader({ alg: 'ES256', kid: 'console-1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime('10m')
    .sign(key);

describe('console sign-in with a JWT', () => {
  it('signs in with a token from the identity provider, and refuses one signed by another key', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(base);
    const forged = await tokenFor(h.tenant.tenantId, (await generateKeyPair('ES256')).privateKey);
    await page.getByLabel('API key').fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 }).toContain('not accepted');
    await page.getByLabel('API key').fill(await tokenFor(h.tenant.tenantId));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await expect.poll(() => page.getByText('admin@example.com').count()).toBeGreaterThan(0);
    await context.close();
  });
});
