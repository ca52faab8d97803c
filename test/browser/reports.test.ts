/**
 * The console's Reports page in a real browser (Debian's Chromium, playwright-core) against a real server: it shows
 * the figures of known runs (seeded in the projection with known durations), and a node row leads to the runs list
 * filtered by that workflow. A screenshot goes to test-results/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import {
  workflowApprovals,
  workflowExecutions,
  workflowInstances,
  workflowVersions,
  type RunStatus,
} from '../../db/schema';
import { createHarness, type Harness } from '../harness';
import { signIn } from '../support/browser';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(projectRoot, 'test-results');
const UI_TIMEOUT = 30_000;

let h: Harness;
let base: string;
let browser: Browser;
let workflowId: string;
const runIds: string[] = [];

const definition = {
  nodes: [
    { id: 'start', type: 'trigger', data: { label: 'Request', trigger: { type: 'manual' } } },
    { id: 'done', type: 'end', data: { label: 'Done', output: {} } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const key = h.tenant.adminKey;
  workflowId = (
    await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'Reported in the browser', definition },
    })
  ).json().id;
  expect((await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode).toBe(201);
  const version = (
    await h.database.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, workflowId))
  )[0]!;

  // Three runs an hour ago: completed in 10 s and 30 s, failed in 20 s; p50 20 s, p95 20 + 0.9 × 10 = 29 s.
  const hourAgo = Date.now() - 3600_000;
  const runs: Array<[RunStatus, number]> = [
    ['completed', 10_000],
    ['failed', 20_000],
    ['completed', 30_000],
  ];
  for (const [n, [status, ms]] of runs.entries()) {
    const id = `browser-report-${randomUUID()}`;
    runIds.push(id);
    await h.database.db.insert(workflowInstances).values({
      id,
      tenantId: h.tenant.tenantId,
      workflowId,
      workflowVersionId: version.id,
      version: 1,
      status,
      createdAt: new Date(hourAgo + n),
      startedAt: new Date(hourAgo),
      completedAt: new Date(hourAgo + ms),
    });
    await h.database.db.insert(workflowExecutions).values({
      id: `${id}:work:1`,
      tenantId: h.tenant.tenantId,
      instanceId: id,
      nodeId: 'work',
      nodeType: 'action',
      label: 'Do the work',
      seq: 1,
      status: status === 'failed' ? 'failed' : 'completed',
      startedAt: new Date(hourAgo),
      durationMs: ms,
    });
  }
  // One approval decided in 2 minutes, one pending.
  const approver = await h.newUser(h.tenant, ['manager']);
  await h.database.db.insert(workflowApprovals).values([
    {
      tenantId: h.tenant.tenantId,
      instanceId: runIds[0]!,
      nodeId: 'ask',
      status: 'approved',
      outcome: 'approved',
      requestedAt: new Date(hourAgo),
      respondedAt: new Date(hourAgo + 120_000),
      decidedBy: approver.userId,
    },
    { tenantId: h.tenant.tenantId, instanceId: runIds[1]!, nodeId: 'ask', status: 'pending' },
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signedIn(key: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  await page.goto(`${base}/reports`);
  await signIn(page, key);
  await page.getByRole('heading', { name: 'Reports' }).waitFor();
  return page;
}

const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).textContent();

describe('reports page', () => {
  it('shows the figures of known runs, and a node row leads to the runs of that workflow', async () => {
    const page = await signedIn(h.tenant.adminKey);
    await page.getByRole('link', { name: 'Reports' }).waitFor();
    await page.getByLabel('Workflow').selectOption(workflowId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('[data-figure="runs-total"]').waitFor();

    expect(await figure(page, 'runs-total')).toBe('3');
    expect(await figure(page, 'success-rate')).toBe('66.7%');
    expect(await figure(page, 'duration-p50')).toBe('20.0 s');
    expect(await figure(page, 'duration-p95')).toBe('29.0 s');
    expect(await figure(page, 'approvals-decided')).toBe('1');
    expect(await figure(page, 'approvals-pending')).toBe('1');
    expect(await figure(page, 'decision')).toBe('2 min / 2 min');
    const byStatus = async (status: string) => page.locator(`tr[data-status="${status}"] td.num`).textContent();
    expect(await byStatus('completed')).toBe('2');
    expect(await byStatus('failed')).toBe('1');
    // The largest status fills its bar; the smaller one half of it.
    const barWidth = (status: string) => page.locator(`tr[data-status="${status}"] .bar`).getAttribute('style');
    expect(await barWidth('completed')).toBe('width: 100%;');
    expect(await barWidth('failed')).toBe('width: 50%;');

    const node = page.locator('tr[data-node-id="work"]');
    expect(await node.locator('td').allTextContents()).toEqual(['Do the work', '3', '1', '20.0 s', '29.0 s', '']);
    const approver = page.locator('tr[data-approver]');
    expect(await approver.locator('td').allTextContents()).toEqual([
      expect.stringMatching(/@example\.com$/),
      '1',
      '2 min',
      '2 min',
    ]);
    await page.screenshot({ path: path.join(SHOTS, 'console-reports.png'), fullPage: true });

    await node.getByRole('link', { name: 'Do the work' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(new URL(page.url()).searchParams.get('workflowId')).toBe(workflowId);
    for (const runId of runIds) await page.locator(`tr[data-run-id="${runId}"]`).waitFor();
    expect(await page.getByLabel('Workflow').inputValue()).toBe(workflowId);
    await page.context().close();
  });

  it('says why when the range is reversed, and shows no figures', async () => {
    const page = await signedIn(h.tenant.adminKey);
    await page.goto(`${base}/reports?workflowId=${workflowId}&from=2026-02-01T00:00&to=2026-01-01T00:00`);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('before');
    expect(await page.locator('[data-figure="runs-total"]').count()).toBe(0);
    await page.context().close();
  });
});
