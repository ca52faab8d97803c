/**
 * The designer's views over a workflow in a real browser (Debian's Chromium, playwright-core) against a real server:
 * version history, a visual diff between two versions, rollback, export and import of a file, and the preview (a
 * dry run with chosen decisions, its path marked on the canvas). Screenshots go to test-results/.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nodeOf, UI_TIMEOUT } from '../support/browser';
import { designerWorld } from '../support/designer';

/** trigger → end, with a key the designer does not know. */
const definition = {
  viewport: { x: 0, y: 0, zoom: 1 },
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { label: 'Request', trigger: { type: 'manual' } } },
    { id: 'done', type: 'end', position: { x: 640, y: 220 }, data: { label: 'Done', status: 'completed' } },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
};

/** trigger → a manager approves → "Ship it" on approved, "Stop" on rejected. */
const approvalGraph = {
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
      data: { label: 'Manager approves', approverRoles: ['manager'] },
    },
    { id: 'yes', type: 'end', position: { x: 480, y: 0 }, data: { label: 'Ship it' } },
    { id: 'no', type: 'end', position: { x: 480, y: 160 }, data: { label: 'Stop' } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'ask' },
    { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'yes' },
    { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'no' },
  ],
};

const markOf = (page: Page, nodeId: string) =>
  nodeOf(page.locator('.designer-canvas'), nodeId).locator('.designer-node').getAttribute('class');

const world = designerWorld(definition);
const { newWorkflow, signedIn, shot, draftOf, versionsOf } = world;

describe('designer: versions and preview', () => {
  it('shows the history, a visual diff between two versions, rolls back, and exports and imports a file', async () => {
    const id = await newWorkflow('Versioned');
    const publish = async (body: object, changeDescription: string) => {
      const put = await world.h.api(world.h.tenant.adminKey, {
        method: 'PUT',
        url: `/api/workflows/${id}`,
        payload: { name: 'Versioned', definition: body },
      });
      expect(put.statusCode, put.body).toBe(200);
      const published = await world.h.api(world.h.tenant.adminKey, {
        method: 'POST',
        url: `/api/workflows/${id}/publish`,
        payload: { changeDescription },
      });
      expect(published.statusCode, published.body).toBe(201);
    };
    await publish(definition, 'First');
    // v2: the end changes status, a log node is added between, the direct edge goes.
    const log = { id: 'note', type: 'action', position: { x: 320, y: 0 }, data: { action: 'log', message: 'hi' } };
    const second = {
      ...definition,
      nodes: [definition.nodes[0]!, log, { ...definition.nodes[1]!, data: { label: 'Done', status: 'failed' } }],
      edges: [
        { id: 'e2', source: 'start', target: 'note' },
        { id: 'e3', source: 'note', target: 'done' },
      ],
    };
    await publish(second, 'Second');

    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'note').waitFor();
    await page.getByRole('button', { name: 'Versions' }).click();
    const history = page.getByRole('table', { name: 'Version history' });
    await history.locator('tr[data-version="2"]').waitFor();
    expect(await history.locator('tr[data-version="1"]').textContent()).toContain('First');

    await page.getByLabel('Compare', { exact: true }).selectOption('1');
    await page.getByLabel('with', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Show differences' }).click();
    const diff = page.getByRole('region', { name: 'Version differences' });
    const mark = (nodeId: string) => nodeOf(diff, nodeId).locator('.designer-node').getAttribute('class');
    await expect.poll(() => mark('note'), { timeout: UI_TIMEOUT }).toContain('diff-added');
    expect(await mark('done')).toContain('diff-changed');
    expect(await mark('start')).not.toMatch(/diff-/);
    expect(await diff.locator('.react-flow__edge[data-id="e1"]').getAttribute('class')).toContain('diff-removed');
    expect(await diff.locator('.react-flow__edge[data-id="e2"]').getAttribute('class')).toContain('diff-added');
    expect(await diff.getByRole('list', { name: 'Differences' }).textContent()).toContain('node note: added');
    await diff.scrollIntoViewIfNeeded();
    await shot(page, 'version-diff');
    // The draft equals the latest version: nothing to show.
    await page.getByLabel('with', { exact: true }).selectOption('draft');
    await page.getByLabel('Compare', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Show differences' }).click();
    await diff.getByText('No differences.').waitFor();

    await history.getByRole('button', { name: 'Roll back to v1' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT }).toContain('Rolled back');
    await nodeOf(page.locator('.designer-canvas'), 'note').waitFor({ state: 'detached' });
    const versions = await versionsOf(id);
    expect(versions[0]).toMatchObject({ version: 3, isRollbackVersion: true });
    expect((await draftOf(id)).nodes.map((n: { id: string }) => n.id)).toEqual(['start', 'done']);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported).toMatchObject({ format: 'graphflow.workflow/v1', name: 'Versioned' });
    expect(exported.definition.nodes.map((n: { id: string }) => n.id)).toEqual(['start', 'done']);

    // A file that is not a workflow is refused and changes nothing; a good one lands on the canvas, to be saved.
    const file = (name: string, text: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await page.getByLabel('Workflow file').setInputFiles(file('broken.json', '{ "nodes": 3'));
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT })
      .toContain('Not a workflow file');
    await page
      .getByLabel('Workflow file')
      .setInputFiles(file('v2.json', JSON.stringify({ ...exported, definition: second })));
    await nodeOf(page, 'note').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT }).toContain('Draft saved');
    expect((await draftOf(id)).nodes.map((n: { id: string }) => n.id)).toEqual(['start', 'note', 'done']);
  });

  it('previews the draft with a chosen decision and marks the path it would take; with none, where it would wait', async () => {
    const id = await newWorkflow('Previewed', approvalGraph);
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'ask').waitFor();
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.getByRole('region', { name: 'Preview' });

    await preview.getByLabel('Preview input (JSON)').fill('{ nope');
    await preview.getByRole('button', { name: 'Run preview' }).click();
    await expect.poll(() => preview.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('JSON');
    await preview.getByLabel('Preview input (JSON)').fill('{}');

    await preview.getByLabel('Decision at Manager approves').selectOption('rejected');
    await preview.getByRole('button', { name: 'Run preview' }).click();
    await expect.poll(() => markOf(page, 'no'), { timeout: UI_TIMEOUT }).toContain('path-taken');
    for (const node of ['start', 'ask']) expect(await markOf(page, node)).toContain('path-taken');
    expect(await markOf(page, 'yes')).not.toContain('path-');
    const edge = (edgeId: string) => page.locator(`.designer-canvas .react-flow__edge[data-id="${edgeId}"]`);
    expect(await edge('e3').getAttribute('class')).toContain('path-taken');
    expect(await edge('e2').getAttribute('class')).not.toContain('path-taken');
    expect(await preview.locator('.designer-preview-outcome').textContent()).toContain('completed');
    await shot(page, 'preview');

    await preview.getByLabel('Decision at Manager approves').selectOption({ label: 'nobody decides' });
    await preview.getByRole('button', { name: 'Run preview' }).click();
    await expect.poll(() => markOf(page, 'ask'), { timeout: UI_TIMEOUT }).toContain('path-waiting');
    expect(await markOf(page, 'no')).not.toContain('path-');
    expect(await preview.locator('.designer-preview-outcome').textContent()).toContain('waiting');

    // Closing the preview takes its marks off; nothing was started.
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect.poll(() => markOf(page, 'ask'), { timeout: UI_TIMEOUT }).not.toContain('path-');
    const runs = await world.h.api(world.h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${id}` });
    expect(runs.json().items).toEqual([]);
  });
});
