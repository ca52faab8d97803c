/**
 * The operator console in a real browser: Debian's Chromium driven by playwright-core against a real server
 * (the harness: Temporal dev server, PostgreSQL or PGlite, a worker) serving the built console. The console is
 * built first (test/browser/console-build.setup.ts) when web/dist is missing or stale. Screenshots of each page go to
 * test-results/.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import { createHarness, eventually, type Harness } from '../harness';
import { signIn } from '../support/browser';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(projectRoot, 'test-results');
const UI_TIMEOUT = 30_000;

let h: Harness;
let base: string;
let browser: Browser;
let approver: { userId: string; key: string };
let operator: { userId: string; key: string };
let viewer: { userId: string; key: string };
let workflowId: string;
const contexts: BrowserContext[] = [];

/**
 * trigger → approval by a manager → "Ship it" on approve, "Stop" on reject; stored positions, as an editor saves them.
 */
const definition = {
  nodes: [
    {
      id: 'start',
      type: 'trigger',
      position: { x: 0, y: 80 },
      data: { label: 'Request', trigger: { type: 'manual' } },
    },
    {
      id: 'ask',
      type: 'approval',
      position: { x: 240, y: 80 },
      data: {
        label: 'Manager approves',
        approverRoles: ['manager'],
        expiresIn: '1h',
        message: 'Approve {{ input.item }}?',
      },
    },
    { id: 'yes', type: 'end', position: { x: 480, y: 0 }, data: { label: 'Ship it', output: { shipped: true } } },
    { id: 'no', type: 'end', position: { x: 480, y: 160 }, data: { label: 'Stop', output: { shipped: false } } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'ask' },
    { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'yes' },
    { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'no' },
  ],
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  [approver, operator, viewer] = await Promise.all([
    h.newUser(h.tenant, ['manager']),
    h.newUser(h.tenant, ['operator']),
    h.newUser(h.tenant, ['viewer']),
  ]);
  workflowId = (
    await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'Purchase approval', definition },
    })
  ).json().id;
  const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  // Root in a container has no user namespace for Chromium's sandbox; the page is our own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await browser?.close();
  await h?.close();
});

async function startRun(item: string): Promise<string> {
  const started = await h.api(operator.key, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input: { item } },
  });
  expect(started.statusCode, started.body).toBe(202);
  return started.json().runId as string;
}

async function signedIn(key: string, at = '/', viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  await page.goto(`${base}${at}`);
  await signIn(page, key);
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });
const nodeOf = (page: Page, nodeId: string) => page.locator(`.react-flow__node[data-id="${nodeId}"]`);

describe('operator console', () => {
  it('signs in with an API key, refuses a wrong one, and signing out forgets the key', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    await page.goto(base);
    await shot(page, 'sign-in');
    await page.getByLabel('API key').fill('gf_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('not accepted');
    await page.getByLabel('API key').fill(h.tenant.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("graphflow.apiKey")')).toBe(h.tenant.adminKey);
    // A reload keeps the session (same tab); signing out ends it.
    await page.reload();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.getItem("graphflow.apiKey")')).toBeNull();
  });

  it('the runs list shows a new run without a reload, and filters by status', async () => {
    const page = await signedIn(h.tenant.adminKey);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const runId = await startRun('a new laptop');
    await page.locator(`tr[data-run-id="${runId}"]`).waitFor();
    await shot(page, 'runs');
    await page.getByLabel('Status').selectOption('completed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator(`tr[data-run-id="${runId}"]`).waitFor({ state: 'detached' });
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it('a run page shows the graph; after the approver decides in the inbox, the next node turns completed without a reload', async () => {
    const runId = await startRun('a standing desk');
    const operatorPage = await signedIn(h.tenant.adminKey, `/runs/${runId}`);
    await expect
      .poll(() => nodeOf(operatorPage, 'ask').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('state-waiting');
    expect(await nodeOf(operatorPage, 'yes').getAttribute('class')).toContain('state-not-reached');
    expect(await nodeOf(operatorPage, 'start').getAttribute('class')).toContain('state-completed');
    await operatorPage.getByRole('button', { name: 'Cancel' }).waitFor();
    // Clicking a node shows what it did.
    await nodeOf(operatorPage, 'start').click();
    await operatorPage.getByRole('heading', { name: /Request/ }).waitFor();
    await shot(operatorPage, 'run');

    const approverPage = await signedIn(approver.key, '/inbox');
    const card = approverPage.getByRole('listitem', { name: 'Approval: Manager approves' });
    await card.waitFor();
    expect(await card.textContent()).toContain('Approve a standing desk?');
    await card.getByLabel('Comment').fill('Within budget.');
    await shot(approverPage, 'inbox');
    await card.getByRole('button', { name: 'approved' }).click();
    await card.waitFor({ state: 'detached' });

    await expect
      .poll(() => nodeOf(operatorPage, 'yes').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('state-completed');
    expect(await nodeOf(operatorPage, 'ask').getAttribute('class')).toContain('state-completed');
    expect(await nodeOf(operatorPage, 'no').getAttribute('class')).toContain('state-not-reached');
    await expect
      .poll(() => operatorPage.locator('.votes').textContent(), { timeout: UI_TIMEOUT })
      .toContain('Within budget.');
    await shot(operatorPage, 'run-completed');
  });

  it('a failed node shows its error', async () => {
    const target = createServer((_request, response) =>
      response.writeHead(500, { 'content-type': 'text/plain' }).end('the ledger is down'),
    );
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/ledger`;
      const failing = {
        nodes: [
          {
            id: 'start',
            type: 'trigger',
            position: { x: 0, y: 0 },
            data: { label: 'Start', trigger: { type: 'manual' } },
          },
          {
            id: 'call',
            type: 'action',
            position: { x: 240, y: 0 },
            data: {
              label: 'Post to ledger',
              action: 'http',
              method: 'POST',
              url,
              expectStatus: 200,
              retry: { maximumAttempts: 1 },
            },
          },
          { id: 'done', type: 'end', position: { x: 480, y: 0 }, data: { label: 'Done' } },
        ],
        edges: [
          { id: 'e1', source: 'start', target: 'call' },
          { id: 'e2', source: 'call', target: 'done' },
        ],
      };
      const id = (
        await h.api(h.tenant.adminKey, {
          method: 'POST',
          url: '/api/workflows',
          payload: { name: 'Ledger post', definition: failing },
        })
      ).json().id as string;
      const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
      expect(published.statusCode, published.body).toBe(201);
      const runId = (
        await h.api(operator.key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
      ).json().runId as string;
      const page = await signedIn(h.tenant.adminKey, `/runs/${runId}`);
      await expect
        .poll(() => nodeOf(page, 'call').getAttribute('class'), { timeout: UI_TIMEOUT })
        .toContain('state-failed');
      await nodeOf(page, 'call').click();
      const detail = page.locator('.node-detail');
      await detail.getByRole('heading', { name: 'Error' }).waitFor();
      expect(await detail.locator('pre.error').textContent()).toContain('500');
      await page.getByRole('button', { name: 'Retry as a new run' }).waitFor();
      await shot(page, 'run-failed');
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });

  it('a viewer sees the run but no action buttons', async () => {
    const runId = await startRun('a monitor');
    const page = await signedIn(viewer.key, `/runs/${runId}`);
    await expect
      .poll(() => nodeOf(page, 'ask').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('state-waiting');
    expect(await page.getByRole('group', { name: 'Run actions' }).count()).toBe(0);
    for (const name of ['Cancel', 'Pause', 'Resume', 'Retry as a new run'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it('works 390 px wide: no page-wide horizontal scroll on the runs list and the run page', async () => {
    const runId = await startRun('a phone');
    const page = await signedIn(h.tenant.adminKey, '/', { width: 390, height: 844 });
    await page.locator(`tr[data-run-id="${runId}"]`).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, 'runs-390');
    await page.getByRole('link', { name: new RegExp(runId.slice(0, 16)) }).click();
    await expect
      .poll(() => nodeOf(page, 'ask').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('state-waiting');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, 'run-390');
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  it('the work board shows a card per open run in the column of the node it waits at', async () => {
    const runId = await startRun('a chair');
    await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
    );
    const page = await signedIn(h.tenant.adminKey, '/board');
    await page.getByLabel('Workflow').selectOption({ label: 'Purchase approval' });
    await page.locator(`[data-node-id="ask"] [data-run-id="${runId}"]`).waitFor();
    await shot(page, 'board');
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/cancel` });
    await page.locator(`[data-run-id="${runId}"]`).waitFor({ state: 'detached' });
  });

  it("serves the console at its own paths, and keeps the API's 404 problem elsewhere", async () => {
    for (const url of ['/', '/inbox', '/board', '/runs/anything']) {
      const answer = await h.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.headers['content-type']).toContain('text/html');
      expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
    }
    for (const url of ['/api/nope', '/elsewhere', '/assets/nope.js']) {
      const answer = await h.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(404);
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/nope' })).headers['content-type']).toContain(
      'application/problem+json',
    );
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ method: 'GET', url: '/api/runs' })).statusCode).toBe(401);
  });
});
