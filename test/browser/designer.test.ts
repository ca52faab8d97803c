/**
 * The designer in a real browser (Debian's Chromium, playwright-core) against a real server (the harness): add a
 * node from the palette, connect handles, save the draft, see validation problems pinned on a node, publish.
 * Screenshots go to test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import { createHarness, type Harness } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(projectRoot, 'test-results');
const UI_TIMEOUT = 30_000;

let h: Harness;
let base: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** trigger → end, with keys the designer does not know (they must survive a save). */
const definition = {
  viewport: { x: 0, y: 0, zoom: 1 },
  nodes: [
    {
      id: 'start',
      type: 'trigger',
      position: { x: 0, y: 0 },
      note: 'kept by the designer',
      data: { label: 'Request', trigger: { type: 'manual' } },
    },
    { id: 'done', type: 'end', position: { x: 640, y: 220 }, data: { label: 'Done', status: 'completed' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done', style: { stroke: '#123456' } }],
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  // Root in a container has no user namespace for Chromium's sandbox; the page is our own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await browser?.close();
  await h?.close();
});

async function newWorkflow(name: string): Promise<string> {
  const created = await h.api(h.tenant.adminKey, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name, definition },
  });
  expect(created.statusCode, created.body).toBe(201);
  return created.json().id as string;
}

async function signedIn(key: string, at: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  await page.goto(`${base}${at}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `designer-${name}.png`), fullPage: true });
const nodeOf = (page: Page, nodeId: string) => page.locator(`.react-flow__node[data-id="${nodeId}"]`);

/** Connects by clicking a source handle, then a target handle (React Flow's click-to-connect). */
async function connect(page: Page, from: string, to: string, handle?: string) {
  const source = handle
    ? nodeOf(page, from).locator(`.react-flow__handle.source[data-handleid="${handle}"]`)
    : nodeOf(page, from).locator('.react-flow__handle.source').first();
  await source.click();
  await nodeOf(page, to).locator('.react-flow__handle.target').click();
}

const draftOf = async (id: string) =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}` })).json().definition;
const versionsOf = async (id: string) =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}/versions` })).json().items;

describe('designer', () => {
  it('adds a node from the palette, connects it, saves the draft keeping unknown keys, pins validation problems on the node, refuses then publishes', async () => {
    const id = await newWorkflow('Designed approval');
    const page = await signedIn(h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'start').waitFor();

    await page.getByRole('navigation', { name: 'Palette' }).getByRole('button', { name: 'approval' }).click();
    await nodeOf(page, 'approval_1').waitFor();
    await connect(page, 'start', 'approval_1');
    await connect(page, 'approval_1', 'done', 'approved');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT }).toContain('Draft saved');

    const saved = await draftOf(id);
    const added = saved.nodes.find((n: { id: string }) => n.id === 'approval_1');
    expect(added).toMatchObject({ type: 'approval', data: { label: 'Approval' } });
    expect(typeof added.position.x).toBe('number');
    expect(saved.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'start', target: 'approval_1' }),
        expect.objectContaining({ source: 'approval_1', target: 'done', sourceHandle: 'approved' }),
      ]),
    );
    // What the designer does not edit is written back as it was.
    expect(saved.viewport).toEqual(definition.viewport);
    expect(saved.nodes.find((n: { id: string }) => n.id === 'start').note).toBe('kept by the designer');
    expect(saved.edges.find((e: { id: string }) => e.id === 'e1')).toEqual(definition.edges[0]);

    // The approval has no approvers: validation pins the problem on it.
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect
      .poll(() => nodeOf(page, 'approval_1').locator('.designer-node').getAttribute('class'))
      .toContain('has-problem');
    expect(await nodeOf(page, 'start').locator('.designer-node').getAttribute('class')).not.toContain('has-problem');
    const list = page.getByRole('list', { name: 'Validation problems' });
    expect(await list.textContent()).toContain('node approval_1: an approval needs approvers');
    await shot(page, 'invalid');

    // Publish is refused with the same list, and makes no version.
    await page.getByLabel('Change description').fill('First cut');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('Not published');
    expect(await list.textContent()).toContain('an approval needs approvers');
    expect(await versionsOf(id)).toEqual([]);

    // Fixed in the property panel, it publishes as version 1.
    await nodeOf(page, 'approval_1').click();
    // Typed key by key: the comma between two roles must survive the re-render each key causes.
    await page.getByLabel('Approver roles').pressSequentially('manager, lead');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT })
      .toContain('Published version 1');
    expect(await nodeOf(page, 'approval_1').locator('.designer-node').getAttribute('class')).not.toContain(
      'has-problem',
    );
    const versions = await versionsOf(id);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, changeDescription: 'First cut' });
    expect((await draftOf(id)).nodes.find((n: { id: string }) => n.id === 'approval_1').data.approverRoles).toEqual([
      'manager',
      'lead',
    ]);
    await shot(page, 'published');
  });

  it('deletes a node with its edges and saves that', async () => {
    const id = await newWorkflow('Shrinking');
    const page = await signedIn(h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'done').click();
    await page.getByRole('button', { name: 'Delete node' }).click();
    await nodeOf(page, 'done').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT }).toContain('Draft saved');
    const saved = await draftOf(id);
    expect(saved.nodes.map((n: { id: string }) => n.id)).toEqual(['start']);
    expect(saved.edges).toEqual([]);
  });

  it('undoes and redoes a deletion (buttons and keyboard), and auto-layout lays the graph out in columns', async () => {
    const id = await newWorkflow('Undoable');
    const page = await signedIn(h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'done').click();
    await page.keyboard.press('Delete');
    await nodeOf(page, 'done').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await nodeOf(page, 'done').waitFor();
    expect(await page.locator('.react-flow__edge[data-id="e1"]').count()).toBe(1);
    await page.getByRole('button', { name: 'Redo' }).click();
    await nodeOf(page, 'done').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Undo' }).click();
    await nodeOf(page, 'done').waitFor();

    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT }).toContain('Draft saved');
    const saved = await draftOf(id);
    const at = (nodeId: string) => saved.nodes.find((n: { id: string }) => n.id === nodeId).position;
    expect(at('start')).toEqual({ x: 0, y: 0 });
    expect(at('done')).toEqual({ x: 220, y: 0 });
    expect(saved.edges).toEqual(definition.edges);
  });

  it('pins a problem of an edge on that edge', async () => {
    const id = await newWorkflow('Bad edge');
    // A condition with an operator that does not exist, on a second edge from the trigger.
    const bad = {
      ...definition,
      edges: [
        ...definition.edges,
        {
          id: 'guarded',
          source: 'start',
          target: 'done',
          condition: { field: 'input.x', operator: 'roughly', value: 1 },
        },
      ],
    };
    const put = await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: 'Bad edge', definition: bad },
    });
    expect(put.statusCode, put.body).toBe(200);
    const page = await signedIn(h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'start').waitFor();
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect
      .poll(() => page.locator('.react-flow__edge[data-id="guarded"]').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('has-problem');
    expect(await page.locator('.react-flow__edge[data-id="e1"]').getAttribute('class')).not.toContain('has-problem');
    expect(await page.getByRole('list', { name: 'Validation problems' }).textContent()).toContain('edge guarded');
  });

  it("refuses a viewer's save with the server's reason and writes nothing", async () => {
    const id = await newWorkflow('Read only');
    const viewer = await h.newUser(h.tenant, ['viewer']);
    const page = await signedIn(viewer.key, `/designer/${id}`);
    await nodeOf(page, 'done').click();
    await page.getByRole('button', { name: 'Delete node' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('roles');
    expect((await draftOf(id)).nodes).toHaveLength(2);
  });

  it('lists workflows and "New workflow" opens a fresh draft in the designer', async () => {
    const page = await signedIn(h.tenant.adminKey, '/designer');
    await page.getByRole('heading', { name: 'Designer' }).waitFor();
    await page.getByLabel('Name').fill('From scratch');
    await page.getByRole('button', { name: 'New workflow' }).click();
    await page.waitForURL(/\/designer\/[^/]+$/);
    await nodeOf(page, 'start').waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const workflow = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}` })).json();
    expect(workflow).toMatchObject({ name: 'From scratch', status: 'draft' });
    await page.getByRole('link', { name: '← All workflows' }).click();
    await page.locator(`tr[data-workflow-id="${id}"]`).waitFor();
  });

  it('serves the designer at its own paths', async () => {
    for (const url of ['/designer', '/designer/anything']) {
      const answer = await h.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.headers['content-type']).toContain('text/html');
    }
  });
});
