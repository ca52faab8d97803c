/**
 * The designer in a real browser (Debian's Chromium, playwright-core) against a real server (the harness): add a
 * node from the palette, connect handles, save the draft, see validation problems pinned on a node, publish.
 * Screenshots go to test-results/.
 */
import { describe, expect, it } from 'vitest';
import { NODE_TYPES } from '../../interpreter/schema';
import { connect, nodeOf, UI_TIMEOUT } from '../support/browser';
import { designerWorld } from '../support/designer';

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

const world = designerWorld(definition);
const { newWorkflow, signedIn, shot, draftOf, versionsOf } = world;

describe('designer', () => {
  it('adds a node from the palette, connects it, saves the draft keeping unknown keys, pins validation problems on the node, refuses then publishes', async () => {
    const id = await newWorkflow('Designed approval');
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
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

  it('designs a four-node graph from an empty canvas, sees a validation error on the node, fixes it, publishes, starts a run from the page and watches it complete', async () => {
    const id = await newWorkflow('Greeter', { nodes: [], edges: [] });
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
    const palette = page.getByRole('navigation', { name: 'Palette' });
    const canvas = page.locator('.designer-canvas');
    await palette.getByRole('button', { name: 'trigger' }).waitFor();
    // Dragged from the palette onto the canvas, left to right.
    for (const [type, x] of [
      ['trigger', 90],
      ['action', 320],
      ['action', 550],
      ['end', 780],
    ] as const)
      await palette.getByRole('button', { name: type }).dragTo(canvas, { targetPosition: { x, y: 220 } });
    for (const node of ['trigger_1', 'action_1', 'action_2', 'end_1']) await nodeOf(page, node).waitFor();
    // Unconnected, auto-layout stacks them in one column, clear of each other; connected, in a row.
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await connect(page, 'trigger_1', 'action_1');
    await connect(page, 'action_1', 'action_2');
    await connect(page, 'action_2', 'end_1');
    await page.getByRole('button', { name: 'Auto-layout' }).click();

    // action_1 sets a variable, but its variables are not filled in yet.
    await nodeOf(page, 'action_1').click();
    await page.getByLabel('Action', { exact: true }).selectOption('set');
    // action_2 logs (its message is any JSON): `{{` offers the paths upstream of it, never those downstream.
    await nodeOf(page, 'action_2').click();
    const message = page.getByLabel('Message', { exact: true });
    await message.fill('');
    await message.pressSequentially('"Said {{');
    const offered = page.getByRole('listbox', { name: 'Template paths' });
    await offered.waitFor();
    const paths = await offered.getByRole('option').allTextContents();
    expect(paths).toEqual(expect.arrayContaining(['input', 'nodes.action_1.output', 'nodes.trigger_1.output', 'vars']));
    expect(paths.some((p) => p.startsWith('nodes.end_1') || p.startsWith('nodes.action_2'))).toBe(false);
    // Typing narrows the list; Enter writes the first path offered.
    await message.pressSequentially(' trigger_1.out');
    expect(await offered.getByRole('option').first().textContent()).toBe('nodes.trigger_1.output');
    await message.press('Enter');
    await message.pressSequentially('"');
    expect(await message.inputValue()).toBe('"Said {{ nodes.trigger_1.output }}"');

    await page.getByRole('button', { name: 'Validate' }).click();
    await expect
      .poll(() => nodeOf(page, 'action_1').locator('.designer-node').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('has-problem');
    expect(await nodeOf(page, 'action_2').locator('.designer-node').getAttribute('class')).not.toContain('has-problem');
    await nodeOf(page, 'action_1').click();
    await page.getByRole('list', { name: 'Problems of this node' }).waitFor();
    await shot(page, 'validation-error');

    await page.getByLabel('Vars', { exact: true }).fill('{ "greeting": "hello {{ input.name }}" }');
    await page.getByLabel('Vars', { exact: true }).blur();
    await page.getByLabel('Change description').fill('Greets');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: UI_TIMEOUT })
      .toContain('Published version 1');

    await page.getByText('Start a run').click();
    await page.getByLabel('Run input (JSON)').fill('{ "name": "Ada" }');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect
      .poll(() => nodeOf(page, 'end_1').getAttribute('class'), { timeout: UI_TIMEOUT })
      .toContain('state-completed');
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const run = (await world.h.api(world.h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('completed');
    expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'action_1').output).toEqual({
      greeting: 'hello Ada',
    });
  });

  it('serves every node type with its help, handles and the JSON Schema of its data', async () => {
    const answer = await world.h.api(world.h.tenant.adminKey, { method: 'GET', url: '/api/node-types' });
    expect(answer.statusCode, answer.body).toBe(200);
    const types = new Map(answer.json().items.map((t: { type: string }) => [t.type, t]));
    expect([...types.keys()]).toEqual([...NODE_TYPES]);
    expect(types.get('approval')).toMatchObject({
      title: 'Approval',
      acceptsEdges: true,
      handles: { rule: 'each-value', field: 'outcomes', default: ['approved', 'rejected'], after: ['expired'] },
      schema: { type: 'object', properties: { quorum: { type: 'integer', default: 1 } } },
    });
    // A field that falls back when absent (`notify`) is not required.
    expect((types.get('approval') as { schema: { required?: string[] } }).schema.required ?? []).not.toContain(
      'notify',
    );
    expect(types.get('condition')).toMatchObject({
      handles: { rule: 'when-set', field: 'condition', set: ['true', 'false'], unset: [null] },
    });
    expect(types.get('trigger')).toMatchObject({ acceptsEdges: false, handles: { rule: 'fixed', handles: [null] } });
    // Integrations: one branch per provider, its config beside `provider`.
    const integration = (
      types.get('integration') as {
        schema: { oneOf: Array<{ properties: Record<string, { const?: string; description?: string }> }> };
      }
    ).schema;
    const email = integration.oneOf.find((b) => b.properties.provider?.const === 'email')!;
    expect(email.properties.to?.description).toContain('templates');
    expect((await world.h.app.inject({ method: 'GET', url: '/api/node-types' })).statusCode).toBe(401);
  });

  it('deletes a node with its edges and saves that', async () => {
    const id = await newWorkflow('Shrinking');
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
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
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
    await nodeOf(page, 'done').click();
    await page.keyboard.press('Delete');
    await nodeOf(page, 'done').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await nodeOf(page, 'done').waitFor();
    // React Flow draws an edge only after it has measured both of its nodes, a frame or more after the node.
    await page.locator('.react-flow__edge[data-id="e1"]').waitFor({ timeout: UI_TIMEOUT });
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
    const put = await world.h.api(world.h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: 'Bad edge', definition: bad },
    });
    expect(put.statusCode, put.body).toBe(200);
    const page = await signedIn(world.h.tenant.adminKey, `/designer/${id}`);
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
    const viewer = await world.h.newUser(world.h.tenant, ['viewer']);
    const page = await signedIn(viewer.key, `/designer/${id}`);
    await nodeOf(page, 'done').click();
    await page.getByRole('button', { name: 'Delete node' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: UI_TIMEOUT }).toContain('roles');
    expect((await draftOf(id)).nodes).toHaveLength(2);
  });

  it('lists workflows and "New workflow" opens a fresh draft in the designer', async () => {
    const page = await signedIn(world.h.tenant.adminKey, '/designer');
    await page.getByRole('heading', { name: 'Designer' }).waitFor();
    await page.getByLabel('Name').fill('From scratch');
    await page.getByRole('button', { name: 'New workflow' }).click();
    await page.waitForURL(/\/designer\/[^/]+$/);
    await nodeOf(page, 'start').waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const workflow = (
      await world.h.api(world.h.tenant.adminKey, { method: 'GET', url: `/api/workflows/${id}` })
    ).json();
    expect(workflow).toMatchObject({ name: 'From scratch', status: 'draft' });
    await page.getByRole('link', { name: '← All workflows' }).click();
    await page.locator(`tr[data-workflow-id="${id}"]`).waitFor();
  });

  it('serves the designer at its own paths', async () => {
    for (const url of ['/designer', '/designer/anything']) {
      const answer = await world.h.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.headers['content-type']).toContain('text/html');
    }
  });
});
