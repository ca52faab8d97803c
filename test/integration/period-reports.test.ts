/**
 * Stored period reports: the `periodReports` workflow run for a chosen "today" over seeded runs stores the day, week
 * and month that closed, with the live report's counts and its percentiles within the histogram's bound; a rerun
 * stores the same rows and mails nobody twice; a report over many stored days reads them and its edges live; the
 * refusals of the periods and subscriptions endpoints; and the approver names the dashboard asks for.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodsToStore, storePeriod } from '../../reports/period-store';
import { ensurePeriodReportSchedule, PERIOD_REPORTS_SCHEDULE_ID } from '../../reports/schedule';
import { type Percentiles, type WorkflowReport, workflowReport } from '../../api/services/reports';
import { reportSubscriptions, workflowReports } from '../../db/schema';
import { seedRuns } from '../../scripts/seed-runs';
import { createHarness, type Harness } from '../harness';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let sink: SmtpSink;
let bigWorkflowId: string;
// 2026-06-01 is a Monday and a 1st: its midnight closes a day, a week and a month.
const TODAY = '2026-06-01T00:10:00.000Z';
const DAY = 24 * 3600 * 1000;

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await createHarness({ SMTP_URL: sink.url });
  // About ten runs a day over the year before 2026-06-01, two workflows, each with a client.
  const world = await seedRuns(h.database.db, {
    tenantId: h.tenant.tenantId,
    runs: 3650,
    workflows: 2,
    until: new Date('2026-06-01T00:00:00.000Z'),
  });
  bigWorkflowId = world.workflowIds[1]!;
}, 120_000);

afterAll(async () => {
  await h?.close();
  await sink?.close();
});

const runPeriodReports = (tenantIds: string[]) =>
  h.temporal.workflow.execute('periodReports', {
    taskQueue: h.config.temporal.taskQueue,
    workflowId: `period-reports-test-${randomUUID()}`,
    args: [{ today: TODAY, tenantIds }],
  });

/** An estimate within the documented bound of the exact percentile: 4.9% of (exact + 1 ms), plus rounding. */
function expectWithinBound(estimate: Percentiles, exact: Percentiles) {
  for (const p of ['p50', 'p95'] as const) {
    if (exact[p] === null) {
      expect(estimate[p]).toBeNull();
      continue;
    }
    expect(Math.abs(estimate[p]! - exact[p]!)).toBeLessThanOrEqual(0.049 * (exact[p]! + 1) + 1);
  }
}

/** The stored figures agree with the live ones: every count exactly, every percentile within the bound. */
function expectSameFigures(stored: WorkflowReport, live: WorkflowReport) {
  expect(stored.runs).toEqual(live.runs);
  expect(stored.successRate).toBe(live.successRate);
  expectWithinBound(stored.duration, live.duration);
  expect(stored.nodes.map((n) => [n.nodeId, n.label, n.executions, n.failures])).toEqual(
    live.nodes.map((n) => [n.nodeId, n.label, n.executions, n.failures]),
  );
  stored.nodes.forEach((n, k) => expectWithinBound(n.duration, live.nodes[k]!.duration));
  expect([stored.approvals.decided, stored.approvals.pending]).toEqual([
    live.approvals.decided,
    live.approvals.pending,
  ]);
  expectWithinBound(stored.approvals.timeToDecision, live.approvals.timeToDecision);
  expect(stored.approvals.byApprover.map((x) => [x.approver, x.decided])).toEqual(
    live.approvals.byApprover.map((x) => [x.approver, x.decided]),
  );
}

describe('stored period reports', () => {
  it('the worker has made the daily schedule, and making it again changes nothing', async () => {
    const described = await h.temporal.schedule.getHandle(PERIOD_REPORTS_SCHEDULE_ID).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'periodReports' });
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 0, end: 0, step: 1 }] });
    expect(await ensurePeriodReportSchedule(h.temporal, h.config.temporal.taskQueue)).toBe('exists');
  });

  it("stores yesterday, last week and last month with the live report's figures, and mails each once", async () => {
    const set = await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: '/api/reports/subscriptions',
      payload: { period: 'day', recipients: ['ops@example.com', 'lead@example.com', 'OPS@example.com'] },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().recipients).toEqual(['OPS@example.com', 'lead@example.com']);
    // The second mail is refused once ("try later"; a code of 0 lets the first through): the activity's retry must
    // send only that one again.
    sink.refuseNext(1, 0);
    sink.refuseNext(1, 421);

    const result = await runPeriodReports([h.tenant.tenantId]);
    expect(result).toMatchObject({ tenants: 1, periods: 3, emailsSent: 1, failed: [] });
    const mails = sink.messages.filter((m) => m.subject?.startsWith('Workflow report: day 2026-05-31'));
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['OPS@example.com', 'lead@example.com']);
    expect(mails[0]!.raw).toContain('runs (');

    for (const [period, from, to] of [
      ['day', '2026-05-31T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],
      ['week', '2026-05-25T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],
      ['month', '2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],
    ] as const) {
      const stored = await h.api(h.tenant.adminKey, {
        method: 'GET',
        url: `/api/reports/periods?workflowId=${bigWorkflowId}&period=${period}&from=${from}&to=${to}`,
      });
      expect(stored.statusCode, stored.body).toBe(200);
      const periods = stored.json().periods;
      expect(periods.map((p: { start: string; end: string }) => [p.start, p.end])).toEqual([[from, to]]);
      const live = await h.api(h.tenant.adminKey, {
        method: 'GET',
        url: `/api/reports/workflows/${bigWorkflowId}?from=${from}&to=${to}`,
      });
      expect(live.json().runs.total).toBeGreaterThan(0);
      expectSameFigures(periods[0], live.json());
    }
  });

  it('refreshes each period for a week after it closes, so runs that finish late are counted as they ended', () => {
    const named = (today: string) =>
      periodsToStore(new Date(today)).map(({ period, start }) => `${period} ${start.toISOString().slice(0, 10)}`);
    expect(named('2026-06-03T00:10:00Z')).toEqual([
      ...['06-02', '06-01', '05-31', '05-30', '05-29', '05-28', '05-27'].map((d) => `day 2026-${d}`),
      'week 2026-05-25',
      'month 2026-05-01',
    ]);
    expect(named('2026-06-09T00:10:00Z')).not.toContain('month 2026-05-01');
  });

  it('a rerun for the same day stores the same rows and mails nobody twice', async () => {
    const rowsNow = async () =>
      (await h.database.db.select().from(workflowReports).where(eq(workflowReports.tenantId, h.tenant.tenantId)))
        .map((r) => ({ key: `${r.workflowId}/${r.clientId}/${r.period}/${r.periodStart.toISOString()}`, m: r.metrics }))
        .sort((x, y) => x.key.localeCompare(y.key));
    const before = await rowsNow();
    const mailsBefore = sink.messages.length;
    expect(await runPeriodReports([h.tenant.tenantId])).toMatchObject({ periods: 3, emailsSent: 0 });
    expect(await rowsNow()).toEqual(before);
    expect(sink.messages.length).toBe(mailsBefore);
  });

  it('a report over many stored days reads them, and its edges live, with the same counts', async () => {
    for (let day = Date.parse('2026-05-20T00:00:00.000Z'); day < Date.parse('2026-05-31T00:00:00.000Z'); day += DAY)
      await storePeriod(h.database.db, h.tenant.tenantId, 'day', new Date(day));
    const from = new Date('2026-05-19T12:00:00.000Z');
    const to = new Date('2026-05-31T18:00:00.000Z');
    const res = await h.api(h.tenant.adminKey, {
      method: 'GET',
      url: `/api/reports/workflows/${bigWorkflowId}?from=${from.toISOString()}&to=${to.toISOString()}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.stored).toEqual({ from: '2026-05-20T00:00:00.000Z', to: '2026-05-31T00:00:00.000Z', days: 11 });
    expect(body.duration.estimated).toBe(true);
    const live = await workflowReport(h.database.db, {
      tenantId: h.tenant.tenantId,
      workflowId: bigWorkflowId,
      from,
      to,
    });
    expectSameFigures(body, live);
  });

  it('a month stored whole serves its days from its one row', async () => {
    await storePeriod(h.database.db, h.tenant.tenantId, 'month', new Date('2026-04-01T00:00:00.000Z'));
    const from = new Date('2026-03-31T12:00:00.000Z');
    const to = new Date('2026-05-01T06:00:00.000Z');
    const res = await h.api(h.tenant.adminKey, {
      method: 'GET',
      url: `/api/reports/workflows/${bigWorkflowId}?from=${from.toISOString()}&to=${to.toISOString()}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().stored).toEqual({ from: '2026-04-01T00:00:00.000Z', to: '2026-05-01T00:00:00.000Z', days: 30 });
    const live = await workflowReport(h.database.db, {
      tenantId: h.tenant.tenantId,
      workflowId: bigWorkflowId,
      from,
      to,
    });
    expectSameFigures(res.json(), live);
  });

  it('refuses an unknown period and a reversed range in one answer, listing both, and writes nothing', async () => {
    const res = await h.api(h.tenant.adminKey, {
      method: 'GET',
      url: `/api/reports/periods?workflowId=${bigWorkflowId}&period=year&from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = res
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort();
    expect(paths).toEqual(['querystring.from', 'querystring.period']);
  });

  it("answers 404 for another tenant's workflow", async () => {
    const other = await h.newTenant();
    const res = await h.api(other.adminKey, {
      method: 'GET',
      url: `/api/reports/periods?workflowId=${bigWorkflowId}&period=day`,
    });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Seeded workflow');
  });

  it('refuses a non-admin setting recipients, and recipients that are not addresses, writing nothing', async () => {
    const stored = () =>
      h.database.db
        .select({ recipients: reportSubscriptions.recipients })
        .from(reportSubscriptions)
        .where(and(eq(reportSubscriptions.tenantId, h.tenant.tenantId), eq(reportSubscriptions.period, 'day')));
    const before = await stored();
    const editor = await h.newUser(h.tenant, ['editor']);
    const forbidden = await h.api(editor.key, {
      method: 'PUT',
      url: '/api/reports/subscriptions',
      payload: { period: 'day', recipients: ['intruder@example.com'] },
    });
    expect(forbidden.statusCode).toBe(403);
    const bad = await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: '/api/reports/subscriptions',
      payload: { period: 'fortnight', recipients: ['not an address', 'ok@example.com', 'also@bad@example.com'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['body.period', 'body.recipients[0]', 'body.recipients[2]']);
    expect(await stored()).toEqual(before);
  });

  it("names the tenant's own approvers for the dashboard, never another tenant's users", async () => {
    const mine = await h.newUser(h.tenant, ['operator']);
    const other = await h.newTenant();
    const theirs = await h.newUser(other, ['operator']);
    const res = await h.api(h.tenant.adminKey, {
      method: 'GET',
      url: `/api/reports/approvers?ids=${mine.userId},${theirs.userId},approver3@example.com,unknown`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ approvers: [{ id: mine.userId, name: 'User' }] });
  });
});
