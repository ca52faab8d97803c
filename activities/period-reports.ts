/**
 * The period-reports workflow's activities (workflows/period-reports.ts): which tenants to report on, computing and
 * storing the periods that closed (an upsert: a retry stores the same rows), and emailing each period's summary to
 * the tenant's report recipients once per recipient: each send is keyed by tenant, period, start and recipient in
 * the intent ledger, so an attempt retried after some mails went out sends only the rest.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type ReportPeriod, reportSubscriptions, tenants, workflowReports, workflows } from '../db/schema';
import { emptyMetrics, mergeInto, type PeriodMetrics } from '../reports/period-metrics';
import {
  ESTIMATE_NOTE,
  figuresOf,
  periodEnd,
  periodsClosedAt,
  periodsToStore,
  storePeriod,
} from '../reports/period-store';
import type { Ledger } from './ledger';
import { createEmailProvider, messageIdFor } from './providers/email';

export interface PeriodRef {
  period: ReportPeriod;
  /** ISO: the period's UTC start. */
  start: string;
}

export interface PeriodReportDeps {
  db: Db;
  ledger: Ledger;
  smtpUrl: string | undefined;
  smtpFrom: string;
  httpAllowPrivate: boolean;
}

const percent = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`);
const millis = (ms: number | null) => (ms === null ? '–' : ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export function createPeriodReportActivities(deps: PeriodReportDeps) {
  const { db, ledger } = deps;
  const email = createEmailProvider(
    { smtpUrl: deps.smtpUrl, smtpFrom: deps.smtpFrom, httpAllowPrivate: deps.httpAllowPrivate },
    db,
  );

  /** The summary of one stored period: a line per workflow with runs, most runs first. */
  async function summaryOf(tenantId: string, ref: PeriodRef): Promise<{ subject: string; text: string }> {
    const start = new Date(ref.start);
    const rows = await db
      .select({ workflowId: workflowReports.workflowId, name: workflows.name, metrics: workflowReports.metrics })
      .from(workflowReports)
      .innerJoin(workflows, eq(workflows.id, workflowReports.workflowId))
      .where(
        and(
          eq(workflowReports.tenantId, tenantId),
          eq(workflowReports.period, ref.period),
          eq(workflowReports.periodStart, start),
        ),
      )
      .orderBy(asc(workflows.name));
    const byWorkflow = new Map<string, { name: string; metrics: PeriodMetrics }>();
    for (const row of rows) {
      const entry = byWorkflow.get(row.workflowId) ?? { name: row.name, metrics: emptyMetrics() };
      mergeInto(entry.metrics, row.metrics as PeriodMetrics);
      byWorkflow.set(row.workflowId, entry);
    }
    const lines = [...byWorkflow.values()]
      .map(({ name, metrics }) => ({ name, figures: figuresOf(metrics) }))
      .sort((x, y) => y.figures.runs.total - x.figures.runs.total || x.name.localeCompare(y.name))
      .map(
        ({ name, figures: f }) =>
          `${name}: ${f.runs.total} runs (${f.runs.byStatus.completed} completed, ${f.runs.byStatus.failed} failed), ` +
          `success ${percent(f.successRate)}, duration p50 ${millis(f.duration.p50)} / p95 ${millis(f.duration.p95)}, ` +
          `approvals decided ${f.approvals.decided}, pending ${f.approvals.pending}`,
      );
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const last = new Date(periodEnd(ref.period, start).getTime() - 1);
    const span = ref.period === 'day' ? day(start) : `${day(start)} to ${day(last)}`;
    return {
      subject: `Workflow report: ${ref.period} ${span}`,
      text: [
        `Runs created ${span} (UTC), as computed at the end of the ${ref.period}.`,
        '',
        ...(lines.length ? lines : ['No runs.']),
        '',
        `Percentiles are ${ESTIMATE_NOTE}.`,
      ].join('\n'),
    };
  }

  return {
    /** Every tenant: each gets its periods stored, whether or not anyone receives them. */
    async reportTenants(): Promise<string[]> {
      return (await db.select({ id: tenants.id }).from(tenants).orderBy(asc(tenants.createdAt))).map((t) => t.id);
    },

    /**
     * Stores the periods of one tenant that closed at the start of `today` (ISO), and refreshes those that closed in
     * the days before (reports/period-store.ts, `periodsToStore`); answers the ones that just closed.
     */
    async storeClosedPeriods(input: { tenantId: string; today: string }): Promise<PeriodRef[]> {
      const today = new Date(input.today);
      for (const { period, start } of periodsToStore(today)) await storePeriod(db, input.tenantId, period, start);
      return periodsClosedAt(today).map(({ period, start }) => ({ period, start: start.toISOString() }));
    },

    /** Emails a stored period's summary to the tenant's recipients for that period; answers how many were sent now. */
    async emailPeriodSummary(input: { tenantId: string } & PeriodRef): Promise<number> {
      const subscription = (
        await db
          .select({ recipients: reportSubscriptions.recipients })
          .from(reportSubscriptions)
          .where(and(eq(reportSubscriptions.tenantId, input.tenantId), eq(reportSubscriptions.period, input.period)))
          .limit(1)
      )[0];
      const recipients = subscription?.recipients ?? [];
      if (!recipients.length) return 0;
      const { subject, text } = await summaryOf(input.tenantId, input);
      let sent = 0;
      for (const recipient of recipients) {
        const idempotencyKey = `report:${input.period}:${input.start}:${recipient.toLowerCase()}`;
        const row = await ledger.open({
          tenantId: input.tenantId,
          runId: null,
          nodeId: null,
          idempotencyKey,
          type: 'report',
          channel: 'email',
          recipients: [recipient],
          subject,
          message: text,
        });
        if (row.status === 'sent') continue;
        try {
          await email.transmit({ to: recipient, subject, text, messageId: messageIdFor(idempotencyKey) });
        } catch (error) {
          await ledger.attemptFailed(input.tenantId, idempotencyKey, (error as Error).message);
          throw error;
        }
        await ledger.sent(input.tenantId, idempotencyKey);
        sent++;
      }
      return sent;
    },
  };
}
