/**
 * The designer's responsiveness: Debian's Chromium (playwright-core) on the designer with a 500-node graph, timing
 * each kind of edit from the event that makes it until the frame after React has drawn it: add a node from the
 * palette, move a node, connect two nodes, change a property (the label, typed). The baseline is the same edits on a
 * 10-node graph, so each ratio says what the graph's size costs. Target: every edit's p95 within 50 ms.
 *
 * The edits are dispatched inside the page (no round trip to the driver in the figure). No Temporal server: the
 * designer never starts a run (the API's client is lazy and never connects).
 * BENCH_NODES (default 500), BENCH_EDITS (default 30 per kind); BENCH_QUICK=1: 100 nodes, 5 edits.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { buildApp } from '../api/app';
import { ensureBootstrapAdmin } from '../api/auth';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { ensureConsoleBuilt } from '../scripts/build-console';
import { launchChromium, signIn } from '../test/support/browser';
import { QUICK, report } from './environment';

const NODES = Number(process.env.BENCH_NODES ?? (QUICK ? 100 : 500));
const EDITS = Number(process.env.BENCH_EDITS ?? (QUICK ? 5 : 30));
const BASELINE_NODES = 10;
const WARMUP = 2;
const TARGET_MS = 50;
const COLUMNS = 25;

/** trigger → a chain of `set` actions → end, laid out in a grid as an editor would have saved it. */
function chain(size: number) {
  const ids = Array.from({ length: size }, (_, i) => `n${i}`);
  const nodes = ids.map((id, i) => ({
    id,
    type: i === 0 ? 'trigger' : i === size - 1 ? 'end' : 'action',
    position: { x: (i % COLUMNS) * 220, y: Math.floor(i / COLUMNS) * 120 },
    data:
      i === 0
        ? { label: 'Start', trigger: { type: 'manual' } }
        : i === size - 1
          ? { label: 'End' }
          : { label: `Step ${i}`, action: 'set', vars: { [`v${i}`]: i } },
  }));
  const edges = ids.slice(1).map((id, i) => ({ id: `e${i}`, source: ids[i]!, target: id }));
  return { nodes, edges };
}

type Edit = 'add' | 'move' | 'connect' | 'property';

/**
 * One edit, made and timed in the page: the event, React's render, and the next frame. `i` picks distinct nodes, so
 * no edit repeats an earlier one. Page source as text: the bundler's helpers do not exist in the page.
 */
const EDIT_IN_PAGE = `async ({ edit, i }) => {
  // The chain's actions in view (only those are drawn): each has a handle to enter by and one to leave by.
  const actions = [...document.querySelectorAll('.designer-canvas .react-flow__node')].filter(
    (n) => /^n\\d+$/.test(n.dataset.id) && n.querySelector('.react-flow__handle.source') && n.querySelector('.react-flow__handle.target'),
  );
  const node = (k) => actions[k % actions.length];
  const mouse = (type, target, x, y) =>
    target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, view: window, clientX: x, clientY: y, button: 0 }));
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  let act;
  if (edit === 'add') {
    const button = [...document.querySelectorAll('nav[aria-label="Palette"] button')].find((b) => b.textContent === 'action');
    act = () => button.click();
  } else if (edit === 'move') {
    const target = node(i);
    const box = target.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    act = () => {
      mouse('mousedown', target, x, y);
      mouse('mousemove', window, x + 30, y + 20);
      mouse('mouseup', window, x + 30, y + 20);
    };
  } else if (edit === 'connect') {
    const source = node(i).querySelector('.react-flow__handle.source');
    const target = node(i + 2).querySelector('.react-flow__handle.target');
    act = () => { source.click(); target.click(); };
  } else {
    const field = document.querySelector('#field-label');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    act = () => {
      setValue.call(field, field.value + 'x');
      field.dispatchEvent(new Event('input', { bubbles: true }));
    };
  }
  await nextFrame();
  const t0 = performance.now();
  act();
  await nextFrame();
  return performance.now() - t0;
}`;

const timeEdit = (page: Page, edit: Edit, i: number): Promise<number> =>
  page.evaluate(`(${EDIT_IN_PAGE})(${JSON.stringify({ edit, i })})`);

interface Target {
  base: string;
  key: string;
  workflowId: string;
  size: number;
  /** The stored draft's node and edge counts. */
  counts: () => Promise<[number, number]>;
}

async function measure(page: Page, { base, key, workflowId, size, counts }: Target) {
  await page.goto(`${base}/designer/${workflowId}`);
  await signIn(page, key);
  // A locator, not waitForFunction: the console's Content Security Policy forbids the eval that would need.
  await page.locator('.designer-canvas .react-flow__node').nth(3).waitFor();
  const samples: Record<Edit, number[]> = { add: [], move: [], connect: [], property: [] };
  // The first of each kind pays for code the page has not run yet; they are made, and not counted.
  for (const edit of ['move', 'connect', 'add', 'property'] as const)
    for (let i = 0; i < WARMUP; i++) await timeEdit(page, edit, EDITS + i);
  for (let i = 0; i < EDITS; i++) {
    samples.move.push(await timeEdit(page, 'move', i));
    samples.connect.push(await timeEdit(page, 'connect', i));
    samples.add.push(await timeEdit(page, 'add', i));
  }
  // The last node added is selected: its label is typed into, one key at a time.
  for (let i = 0; i < EDITS; i++) samples.property.push(await timeEdit(page, 'property', i));
  // Every edit landed: saved, the draft holds each added node and each new edge.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Draft saved' }).waitFor();
  const [nodes, edges] = await counts();
  const [wantNodes, wantEdges] = [size + EDITS + WARMUP, size - 1 + EDITS + WARMUP];
  if (nodes !== wantNodes || edges !== wantEdges)
    throw new Error(`the edits did not all land: ${nodes} nodes, ${edges} edges (expected ${wantNodes}, ${wantEdges})`);
  return samples;
}

export async function designerBench(): Promise<void> {
  await ensureConsoleBuilt({ log: (line) => console.log(`[console] ${line}`) });
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '0' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const adminKey = `bench-admin-${randomUUID()}`;
  await ensureBootstrapAdmin(database.db, adminKey);
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = await buildApp({ config, database, temporal: new Client({ connection }), logger: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  const headers = { authorization: `Bearer ${adminKey}` };
  const create = async (size: number) =>
    (
      await app.inject({
        method: 'POST',
        url: '/api/workflows',
        headers,
        payload: { name: `Designer bench ${size}`, definition: chain(size) },
      })
    ).json().id as string;
  const countsOf = (workflowId: string) => async (): Promise<[number, number]> => {
    const { definition } = (await app.inject({ method: 'GET', url: `/api/workflows/${workflowId}`, headers })).json();
    return [definition.nodes.length, definition.edges.length];
  };
  try {
    const results: Array<Record<Edit, number[]>> = [];
    for (const size of [NODES, BASELINE_NODES]) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      const workflowId = await create(size);
      results.push(await measure(page, { base, key: adminKey, workflowId, size, counts: countsOf(workflowId) }));
      await context.close();
    }
    const [ours, baseline] = results as [Record<Edit, number[]>, Record<Edit, number[]>];
    let worst = 0;
    for (const edit of ['add', 'move', 'connect', 'property'] as const) {
      report(`designer: ${edit}, ${NODES}-node graph vs ${BASELINE_NODES}-node${QUICK ? ' (quick)' : ''}`, [
        [`${edit} on ${NODES} nodes`, ours[edit]],
        [`baseline: ${edit} on ${BASELINE_NODES} nodes`, baseline[edit]],
      ]);
      const sorted = [...ours[edit]].sort((a, b) => a - b);
      worst = Math.max(worst, sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!);
    }
    console.log(
      `\nworst edit p95 on ${NODES} nodes: ${worst.toFixed(1)} ms: ${worst <= TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target`,
    );
  } finally {
    await browser.close();
    await app.close();
    await connection.close().catch(() => undefined);
    await database.close();
  }
}
