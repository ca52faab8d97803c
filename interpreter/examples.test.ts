/** The shared examples, interpreted with a fake port: each reaches its documented end. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret, type RunOutcome } from './engine';
import { fakePort, type FakePortOptions } from './fake-port';
import { type Definition, DefinitionSchema } from './schema';

const load = (name: string): Definition =>
  DefinitionSchema.parse(JSON.parse(readFileSync(path.resolve(__dirname, '../examples', `${name}.json`), 'utf8')));

function run(definition: Definition, input: unknown, options: FakePortOptions = {}) {
  const fake = fakePort(options);
  const outcome: Promise<RunOutcome> = interpret(
    {
      definition,
      input,
      trigger: { type: 'manual' },
      run: {
        id: 'r',
        workflowId: 'w',
        workflowName: 'n',
        version: 1,
        startedAt: '2026-01-01T00:00:00Z',
        triggeredBy: 'requester',
        priority: 'normal',
      },
    },
    fake.port,
  );
  return { outcome, ...fake };
}

describe('shared examples', () => {
  it('purchase order: a small order approved by a manager is announced and approved', async () => {
    const r = run(load('purchase-order'), { requester: 'a@example.com', amount: 500, currency: 'EUR', item: 'chair' });
    expect(await r.outcome).toMatchObject({ status: 'completed', output: { approved: true } });
    expect(r.approvals.map((a) => a.nodeId)).toEqual(['manager']);
    expect(r.requests.map((q) => q.nodeId)).toEqual(['notify_ok']);
  });

  it('purchase order: a large order needs finance (quorum 2) then the executive; a rejection says why', async () => {
    const r = run(
      load('purchase-order'),
      { requester: 'a@example.com', amount: 20_000, currency: 'EUR', item: 'car' },
      {
        approve: (q) => ({
          outcome: q.nodeId === 'executive' ? 'rejected' : 'approved',
          decidedBy: 'x',
          comment: null,
          votes: [],
        }),
      },
    );
    expect(await r.outcome).toMatchObject({ status: 'completed', output: { approved: false, why: 'rejected' } });
    expect(r.approvals.map((a) => [a.nodeId, a.quorum])).toEqual([
      ['finance', 2],
      ['executive', 1],
    ]);
  });

  it('employee onboarding: three branches in parallel, the loop once per item, then the welcome after the start date', async () => {
    const r = run(
      load('employee-onboarding'),
      {
        name: 'Ada',
        email: 'ada@example.com',
        startDate: '2026-01-02T00:00:00Z',
        equipment: ['laptop', 'badge'],
        itServiceUrl: 'http://it',
        procurementUrl: 'http://buy',
      },
      {
        approve: () => ({ outcome: 'done', decidedBy: 'hr', comment: null, votes: [] }),
      },
    );
    expect((await r.outcome).status).toBe('completed');
    expect(
      r.requests.filter((q) => q.nodeId === 'order_item').map((q) => (q.config.body as { item: string }).item),
    ).toEqual(['laptop', 'badge']);
    expect(r.requests.filter((q) => q.nodeId === 'accounts')).toHaveLength(1);
    expect(r.requests.filter((q) => q.nodeId === 'welcome')).toHaveLength(1);
    expect(r.steps.filter((s) => s.nodeId === 'all_ready')).toHaveLength(1);
    expect(r.sleeps).toHaveLength(1);
  });

  it('vulnerability remediation: a critical finding is patched after approval; a failed patch pages the team and fails the run', async () => {
    const input = {
      asset: 'db-1',
      asset_criticality: 'critical',
      cvss_score: 9.8,
      cve: 'CVE-1',
      patchServiceUrl: 'http://patch',
      ticketServiceUrl: 'http://ticket',
    };
    const ok = run(load('vulnerability-remediation'), input);
    expect(await ok.outcome).toMatchObject({ status: 'completed', output: { result: 'patched' } });
    const broken = run(load('vulnerability-remediation'), input, {
      work: (q) =>
        q.nodeId === 'deploy_patch'
          ? { ok: false, error: { message: 'patch service down' } }
          : { ok: true, output: {} },
    });
    expect(await broken.outcome).toMatchObject({ status: 'failed', output: { result: 'patch failed' } });
    expect(broken.requests.find((q) => q.nodeId === 'patch_failed')!.config.message).toBe('patch service down');
    const low = run(
      load('vulnerability-remediation'),
      { ...input, cvss_score: 3 },
      { work: () => ({ ok: true, output: { body: { id: 'T-1' } } }) },
    );
    expect(await low.outcome).toMatchObject({
      status: 'completed',
      output: { result: 'ticket', ticket: { id: 'T-1' } },
    });
  });

  it('bug report triage: accepted, resolved, reporter told; declined ends early; no decision fails', async () => {
    const input = { title: 'Crash', description: 'boom', reporterEmail: 'r@example.com' };
    const resolved = run(load('bug-report-triage'), input, {
      approve: (q) => ({
        outcome: q.nodeId === 'desk_review' ? 'accepted' : 'resolved',
        decidedBy: 'd',
        comment: 'fixed',
        votes: [],
      }),
    });
    expect(await resolved.outcome).toMatchObject({ status: 'completed', output: { outcome: 'resolved' } });
    expect(resolved.requests.find((q) => q.nodeId === 'tell_outcome')!.config.subject).toBe("Bug 'Crash': resolved");
    const declined = run(load('bug-report-triage'), input, {
      approve: () => ({ outcome: 'declined', decidedBy: 'd', comment: 'no template', votes: [] }),
    });
    expect(await declined.outcome).toMatchObject({ status: 'completed', output: { outcome: 'declined' } });
    const expired = run(load('bug-report-triage'), input, {
      approve: () => ({ outcome: 'expired', decidedBy: null, comment: null, votes: [] }),
    });
    expect((await expired.outcome).status).toBe('failed');
  });
});
