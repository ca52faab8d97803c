/**
 * The console's Dashboard in a real browser (Debian's Chromium, playwright-core) against a real server: real runs,
 * run by the worker, are counted; the client filter narrows the counts; a click on a chart's bar opens the runs list
 * filtered to what the bar counts. A screenshot goes to docs/screenshots/dashboard.png.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import { workflowApprovals, workflowExecutions, workflowInstances, workflowVersions } from '../../db/schema';
import { createHarness, settled, type Harness } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(projectRoot, 'docs', 'screenshots');
const UI_TIMEOUT = 30_000;

let h: Harness;
let base: string;
let browser: Browser;
let clientId: string;
let acmeWorkflow: string;
let acmeRun: string;
let otherRun: string;

const definition = {
  nodes: [
    { id: 'start', type: 'trigger', data: { label: 'Request', trigger: { type: 'manual' } } },
    { id: 'log', type: 'action', data: { label: 'Record it', action: 'log', message: 'recorded' } },
    { id: 'done', type: 'end', data: { label: 'Done', output: {} } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'log' },
    { id: 'e2', source: 'log', target: 'done' },
  ],
};

async function runOf(name: string, client?: string): Promise<{ workflowId: string; runId: string }> {
  const key = h.tenant.adminKey;
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition, ...(client ? { clientId: client } : {}) },
  });
  expect(created.statusCode, created.body).toBe(201);
  const workflowId = created.json().id as string;
  expect((await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode).toBe(201);
  const started = await h.api(key, {
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    payload: { input: {} },
  });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().runId as string;
  await settled(h, runId);
  return { workflowId, runId };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const client = await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/clients', payload: { name: 'Acme' } });
  clientId = client.json().id;
  ({ workflowId: acmeWorkflow, runId: acmeRun } = await runOf('Acme orders', clientId));
  ({ runId: otherRun } = await runOf('Internal requests'));
  await seedHistory();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Acme's past week (2 to 6 days ago, outside the last day): runs with durations, steps and decided approvals. */
const SEEDED = 10;
async function seedHistory(): Promise<void> {
  const { db } = h.database;
  const version = (await db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, acmeWorkflow)))[0]!;
  const approvers = [await h.newUser(h.tenant, ['manager']), await h.newUser(h.tenant, ['manager'])];
  for (let n = 0; n < SEEDED; n++) {
    const id = `seeded-${randomUUID()}`;
    const at = Date.now() - (2 + (n % 5)) * 24 * 3600_000 - n * 600_000;
    const ms = 20_000 + n * 7_000;
    const failed = n % 4 === 3;
    await db.insert(workflowInstances).values({
      id,
      tenantId: h.tenant.tenantId,
      workflowId: acmeWorkflow,
      workflowVersionId: version.id,
      version: 1,
      status: failed ? 'failed' : 'completed',
      clientId,
      createdAt: new Date(at),
      startedAt: new Date(at),
      completedAt: new Date(at + ms),
    });
    await db.insert(workflowExecutions).values(
      [
        ['log', 'Record it', 1, ms / 4],
        ['done', 'Done', 2, ms / 20],
      ].map(([nodeId, label, seq, duration]) => ({
        id: `${id}:${nodeId}:1`,
        tenantId: h.tenant.tenantId,
        instanceId: id,
        nodeId: nodeId as string,
        nodeType: nodeId === 'done' ? 'end' : 'action',
        label: label as string,
        seq: seq as number,
        status: 'completed' as const,
        startedAt: new Date(at),
        durationMs: Math.round(duration as number),
      })),
    );
    await db.insert(workflowApprovals).values({
      tenantId: h.tenant.tenantId,
      instanceId: id,
      nodeId: 'ask',
      status: 'approved',
      outcome: 'approved',
      requestedAt: new Date(at),
      respondedAt: new Date(at + (n + 1) * 15 * 60_000),
      decidedBy: approvers[n % 2]!.userId,
    });
  }
}

async function signedIn(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  await page.goto(url);
  await page.getByLabel('API key').fill(h.tenant.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

const runsTotal = (page: Page) => page.locator('[data-figure="runs-total"]').textContent();

describe('dashboard', () => {
  it('counts the runs, filters by client, and a bar opens the runs it counts', async () => {
    const page = await signedIn(`${base}/`);
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await expect.poll(() => runsTotal(page), { timeout: UI_TIMEOUT }).toBe(String(SEEDED + 2));
    // The charts draw after the figures arrive, one by one: wait for all four.
    await expect
      .poll(() => page.locator('figure.chart canvas').count(), { timeout: UI_TIMEOUT })
      .toBeGreaterThanOrEqual(4);

    await page.getByLabel('Client').selectOption(clientId);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => runsTotal(page), { timeout: UI_TIMEOUT }).toBe(String(SEEDED + 1));
    expect(new URL(page.url()).searchParams.get('clientId')).toBe(clientId);
    const durations = page.locator('figure.chart', { hasText: 'Run duration p50 and p95 by workflow' });
    await durations.locator('.u-over').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });

    // The only bar is Acme's workflow: a click in the middle of the plot picks it.
    await durations.locator('.u-over').click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const query = new URL(page.url()).searchParams;
    expect(query.get('workflowId')).toBe(acmeWorkflow);
    expect(query.get('clientId')).toBe(clientId);
    await page.locator(`tr[data-run-id="${acmeRun}"]`).waitFor();
    expect(await page.locator(`tr[data-run-id="${otherRun}"]`).count()).toBe(0);
    expect(await page.getByLabel('Client').inputValue()).toBe(clientId);
    await page.context().close();
  });

  it('opens the runs of a time bucket from the runs-over-time chart', async () => {
    // One day, in hours: the run's hour is the only one with a run; a click at its x opens that hour's runs.
    const created = await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${acmeRun}` });
    const now = Date.parse(created.json().createdAt);
    const from = new Date(now - 12 * 3600_000);
    const to = new Date(now + 12 * 3600_000);
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const page = await signedIn(
      `${base}/dashboard?clientId=${clientId}&from=${encodeURIComponent(local(from))}&to=${encodeURIComponent(local(to))}`,
    );
    await expect.poll(() => runsTotal(page), { timeout: UI_TIMEOUT }).toBe('1');
    const overTime = page.locator('figure.chart', { hasText: 'Runs over time' }).locator('.u-over');
    await overTime.waitFor();
    // x runs from the first bucket's start to the last's, evenly: the run's bucket sits at its share of the width.
    const first = Math.floor(from.getTime() / 3600_000) * 3600_000;
    const last = Math.floor((to.getTime() - 1) / 3600_000) * 3600_000;
    const mine = Math.floor(now / 3600_000) * 3600_000;
    const box = (await overTime.boundingBox())!;
    await overTime.click({ position: { x: ((mine - first) / (last - first)) * box.width, y: box.height / 2 } });
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.locator(`tr[data-run-id="${acmeRun}"]`).waitFor();
    const query = new URL(page.url()).searchParams;
    expect(new Date(query.get('from')!).getTime()).toBe(mine);
    expect(new Date(query.get('to')!).getTime()).toBe(mine + 3600_000);
    await page.context().close();
  });

  it('starts a draft from a shipped template in the designer list', async () => {
    const page = await signedIn(`${base}/designer`);
    await page.getByRole('button', { name: 'New from template' }).click();
    await page.getByRole('button', { name: 'Use the template Incident response' }).click();
    await page.waitForURL(/\/designer\/[0-9a-f-]{36}$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const draft = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}` })).json();
    expect(draft).toMatchObject({ name: 'Incident response', status: 'draft', isTemplate: false });
    expect(draft.definition.nodes.map((n: { id: string }) => n.id)).toContain('acknowledge');
    await page.context().close();
  });
});
