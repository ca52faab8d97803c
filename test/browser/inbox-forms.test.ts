/**
 * The inbox honours an approval's form, in a real browser against a real server: the fields show on the card, a
 * decision without the required ones is refused with each problem beside its field, and the filled-in data becomes
 * the node's output. The approval link page opens the same form instead of deciding with one click.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signApprovalLink } from '../../db/approval-links';
import { createHarness, eventually, type Harness, settled } from '../harness';
import { type ConsoleBrowser, openConsole, screenshot } from '../support/browser';
import { approvalDefinition } from '../support/graphs';

let h: Harness;
let ui: ConsoleBrowser;
let approver: { userId: string; key: string };
let operator: { userId: string; key: string };
let workflowId: string;

const form = {
  title: 'Purchase details',
  properties: {
    amount: { type: 'number', title: 'Amount', minimum: 0 },
    supplier: { type: 'enum', title: 'Supplier', enum: ['acme', 'globex'] },
    urgent: { type: 'boolean', title: 'Urgent' },
  },
  required: ['amount', 'supplier'],
};

beforeAll(async () => {
  h = await createHarness();
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  [approver, operator] = await Promise.all([h.newUser(h.tenant, ['buyer']), h.newUser(h.tenant, ['operator'])]);
  const definition = approvalDefinition({ label: 'Buyer fills in', approverRoles: ['buyer'], form, dueIn: '1d' });
  workflowId = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'Purchase', definition } })
  ).json().id;
  const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  ui = await openConsole(base);
});
afterAll(async () => {
  await ui?.close();
  await h?.close();
});

async function startRun(): Promise<{ runId: string; approvalId: string }> {
  const started = await h.api(operator.key, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload: {} });
  const runId = started.json().runId as string;
  const approval = await eventually(
    async () =>
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` })).json()
        .items[0],
  );
  return { runId, approvalId: approval.id };
}

describe('inbox forms', () => {
  it('fills in the form in the inbox: missing fields are named, the data reaches the run', async () => {
    const { runId } = await startRun();
    const page = await ui.signedIn(approver.key, '/inbox');
    const card = page.getByRole('listitem', { name: 'Approval: Buyer fills in' });
    await card.getByRole('group', { name: 'Purchase details' }).waitFor();
    await card.getByRole('button', { name: 'approved' }).click();
    await card.getByText(/is required \(Amount\)/).waitFor();
    await card.getByText(/is required \(Supplier\)/).waitFor();
    await screenshot(page, 'inbox-form-problems');

    await card.getByLabel('Amount (required)').fill('250');
    await card.getByLabel('Supplier (required)').selectOption('globex');
    await card.getByLabel('Urgent').check();
    await card.getByRole('button', { name: 'approved' }).click();
    await card.waitFor({ state: 'detached' });
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    const step = run.steps.find((s: { nodeId: string }) => s.nodeId === 'ask');
    expect(step.output).toMatchObject({ outcome: 'approved', data: { amount: 250, supplier: 'globex', urgent: true } });
  });

  it('the approval link opens the form instead of deciding with one click', async () => {
    const { runId, approvalId } = await startRun();
    const token = await signApprovalLink(h.database.db, {
      tenantId: h.tenant.tenantId,
      runId,
      approvalId,
      userId: approver.userId,
    });
    const page = await ui.page(`/approve/${token}?decision=approved`);
    await page.getByLabel('Amount (required)').waitFor();
    await page.getByRole('button', { name: 'approved' }).click();
    await page.getByText('The form is not complete').waitFor();
    await page.goBack();
    await page.getByLabel('Amount (required)').fill('12');
    await page.getByLabel('Supplier (required)').selectOption('acme');
    await page.getByRole('button', { name: 'approved' }).click();
    await page.getByText('Recorded: approved').waitFor();
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'ask').output.data).toEqual({
      amount: 12,
      supplier: 'acme',
      urgent: false,
    });
  });
});
